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

/* ---- Closures (ABI.md section 15) ------------------------------------------------------ */

/* A closure's five words, in the order of its ext 64 payload. */
typedef struct vg_closure {
    void (*call)(void *env, const virgil_box *in, virgil_box *out);
    void *env; /* the other side's handle: passed along, never dereferenced */
    void *(*realloc)(void *ptr, size_t size); /* frees replies `call` put in its own memory */
    void (*retain)(void *env);
    void (*release)(void *env);
} vg_closure;

#define VG_CLOSURE_EXT 64   /* the extension type of a closure */
#define VG_CLOSURE_SIZE 40  /* its payload: five native-endian 64-bit words */
#define VG_MAX_CHAIN 256    /* the most records an exception chain may hold (ABI.md section 6) */

/* Lifts a closure: an extension value of type 64 with a 40-byte payload.  Anything else is
 * MPL_ERR_TYPE and the reader does not move.  The words are taken as they are; whether they are
 * usable (not NULL) is for the caller to check. */
MPL_API mpl_error vg_read_closure(mpl_reader *r, vg_closure *f);

/* The scratch buffer lent to every call of a closure: small replies cost no allocation. */
#define VG_CALLBACK_SCRATCH 256

typedef enum vg_call_status {
    VG_CALL_OK,     /* {"ok": value}: `value` is the value's bytes */
    VG_CALL_ERROR,  /* {"error": record}: `value` is the record's bytes, `chain` its length */
    VG_CALL_BROKEN  /* no usable reply: `problem_name` and `problem` say what was wrong */
} vg_call_status;

/* One call of a closure and its reply, which stays readable until vg_callback_done. */
typedef struct vg_callback {
    const vg_closure *f;
    uint8_t scratch[VG_CALLBACK_SCRATCH];
    virgil_box reply; /* as the closure returned it */
    const uint8_t *value;
    size_t value_len;
    size_t chain; /* VG_CALL_ERROR: records in the chain, the outermost included */
    const char *problem_name; /* VG_CALL_BROKEN: a framework exception name ... */
    char problem[128];        /* ... and what was wrong, without the function's name */
} vg_callback;

/* Calls `f` with the encoded argument array `args`, lending it cb->scratch (ABI.md sections 3
 * and 15), and checks the reply envelope: one map {"ok": value} or {"error": record}, well
 * formed, nothing after it, the record a map with a "name" and a chain of at most VG_MAX_CHAIN
 * records.  Always call vg_callback_done afterwards, whatever the status. */
MPL_API vg_call_status vg_callback_call(vg_callback *cb, const vg_closure *f, const uint8_t *args,
                                        size_t len);

/* Gives the reply back: with the closure's realloc when it is not in cb->scratch. */
MPL_API void vg_callback_done(vg_callback *cb);

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
