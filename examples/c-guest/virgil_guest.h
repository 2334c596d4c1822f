/*
 * virgil_guest: the glue every hand-written C guest needs around mpack_lite: a counted
 * virgil_realloc, replying by the scratch-buffer protocol (cabi/ABI.md section 3), exception
 * records (section 6), the manifest (section 8) and the virgil_stats reply (section 10).
 *
 * Nothing here is exported: a guest defines its ABI symbols itself and calls these helpers from
 * them, for example
 *
 *     EXPORT void *virgil_realloc(void *ptr, size_t size) { return vg_realloc(ptr, size); }
 *     EXPORT void virgil_stats(const virgil_box *in, virgil_box *out) { vg_reply_stats(out); }
 *
 * The guest's own code calls vg_realloc, never the exported symbol: a process that has loaded
 * several guests could otherwise bind those calls to another library's virgil_realloc, mixing
 * allocators (ABI.md section 12).  Every function here may be called from many threads at once.
 */
#ifndef VIRGIL_GUEST_H
#define VIRGIL_GUEST_H

#include "mpack_lite.h"
#include "virgil.h"

#include <stddef.h>
#include <stdint.h>

/* ---- Allocation ------------------------------------------------------------------------ */

/* virgil_realloc's semantics (ABI.md section 2), with atomic counts of the buffers allocated
 * (vg_realloc(NULL, n > 0)) and freed (vg_realloc(p, 0)) for virgil_stats. */
MPL_API void *vg_realloc(void *ptr, size_t size);

typedef struct vg_alloc_stats {
    uint64_t allocations;
    uint64_t frees;
} vg_alloc_stats;

/* The counts so far.  Frees are read first: every free follows its allocation, so even with
 * other threads allocating and freeing meanwhile, frees never exceed allocations. */
MPL_API vg_alloc_stats vg_alloc_counts(void);

/* ---- Replying -------------------------------------------------------------------------- */

/* A reader over the argument bytes in `in` (nothing when `in` is NULL or empty). */
MPL_API void vg_args_init(mpl_reader *r, const virgil_box *in);

/* Starts a reply in the caller's scratch buffer `out`, continuing in vg_realloc memory when it
 * outgrows it.  The scratch buffer is not used when there is none, or when it overlaps `in`,
 * the arguments still to be read (pass NULL for a function that ignores its arguments). */
MPL_API void vg_reply_start(mpl_writer *w, const virgil_box *in, const virgil_box *out);

/* Hands the reply over (ABI.md section 3): it stays in the scratch buffer, or `out` points at
 * the vg_realloc buffer, which the caller frees.  A writer that failed gives `out` = {NULL, 0},
 * which the host reports as virgil.InternalError.  `out` may be NULL (the reply is dropped). */
MPL_API void vg_reply_finish(mpl_writer *w, virgil_box *out);

/* Writes the head of the envelope {"ok": value} / {"error": record}; the caller writes the
 * value. */
MPL_API void vg_write_ok(mpl_writer *w);
MPL_API void vg_write_error(mpl_writer *w);

/* ---- Exception records ----------------------------------------------------------------- */

typedef struct vg_frame {
    const char *function;
    const char *file;
    int line;
} vg_frame;

/* Writes an exception record (canonical key order, "language": "c", no notes) up to and
 * including the key "cause"; the caller then writes the cause: a record, or nil.  A cause
 * chain is therefore written front to back, without recursion. */
MPL_API void vg_write_exception_head(mpl_writer *w, const char *name, const char *message,
                                     const vg_frame *frames, size_t nframes);

/* ---- Manifest and diagnostics ---------------------------------------------------------- */

typedef struct vg_param {
    const char *name;
    const char *type;
} vg_param;

typedef struct vg_function {
    const char *name;
    size_t nparams;
    const vg_param *params;
    const char *result;
    const char *doc;
} vg_function;

/* Writes {"ok": manifest} for `nfunctions` functions, which must be sorted by name (ABI.md
 * section 8).  `abi` is normally VIRGIL_ABI_VERSION. */
MPL_API void vg_write_manifest(mpl_writer *w, int64_t abi, const char *library,
                               const char *version, const vg_function *functions,
                               size_t nfunctions);

/* The whole reply of virgil_stats: {"ok": {"allocations": int, "frees": int, "live": int}},
 * counted before the reply itself is allocated. */
MPL_API void vg_reply_stats(virgil_box *out);

#endif /* VIRGIL_GUEST_H */
