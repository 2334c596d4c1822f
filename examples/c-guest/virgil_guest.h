/*
 * virgil_guest: the glue every hand-written C guest needs around mpack_lite: a counted
 * virgil_realloc, replying by the scratch-buffer protocol (cabi/ABI.md section 3), exception
 * records (section 6) with their attributes, the shared names of OS errors (section 7.1), the
 * manifest (section 8) and the virgil_stats reply (section 10).
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- Framework exception names (ABI.md section 7) -------------------------------------- */

/* Every name of section 7's table, in its order, each defined once here (test/records_test.c
 * checks them against cabi/ABI.md); a guest raises only some of them. */
#define VG_ARGUMENT_ERROR "virgil.ArgumentError"
#define VG_RESULT_ERROR "virgil.ResultError"
#define VG_UNKNOWN_FUNCTION "virgil.UnknownFunction"
#define VG_PANIC "virgil.Panic"
#define VG_INTERNAL_ERROR "virgil.InternalError"
#define VG_PROTOCOL_ERROR "virgil.ProtocolError" /* the peer broke the ABI's protocol */
#define VG_OUT_OF_MEMORY "virgil.OutOfMemory"    /* an allocation failed */
#define VG_LIMIT_EXCEEDED "virgil.LimitExceeded" /* a limit of section 11 was exceeded */
#define VG_ABI_MISMATCH "virgil.AbiMismatch"
#define VG_RELEASED_CLOSURE "virgil.ReleasedClosure"

/* The framework name for a failure of mpack_lite: virgil.LimitExceeded for nesting deeper than
 * 512 or a length over 32 bits (a borrowed one included), virgil.ProtocolError for a borrowed
 * value NULL with a length or wrapping the address space (ABI.md section 16), virgil.OutOfMemory
 * for a failed allocation, else `otherwise` (virgil.ArgumentError for arguments,
 * virgil.ResultError for a reply). */
MPL_API const char *vg_error_name(mpl_error err, const char *otherwise);

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

/* One traceback frame.  `file` is the path as the compiler gives it in __FILE__: compiled from
 * the repository root, as the Makefile does, that is relative to it
 * ("examples/c-guest/conformance.c"), which is how C's own tools print it (ABI.md section 6). */
typedef struct vg_frame {
    const char *function;
    const char *file;
    int line;
} vg_frame;

/* The frame of the code where it is written: this function, this file, this line.  Errors are
 * raised with it (or with frames passed down to where they are raised), so that tracebacks name
 * the user's own code and never this glue. */
#define VG_HERE() ((vg_frame){__func__, __FILE__, __LINE__})

/* The most records a chain, frames a traceback and attributes a record may hold (ABI.md
 * section 6).  The writers below cut longer ones and say so in a note. */
#define VG_MAX_CHAIN 256
#define VG_MAX_FRAMES 4096
#define VG_MAX_ATTRIBUTES 256

typedef enum vg_attr_kind {
    VG_ATTR_INT, /* `i` */
    VG_ATTR_STR, /* the `len` bytes of UTF-8 text at `bytes` */
    VG_ATTR_RAW  /* the `len` bytes at `bytes`: one MessagePack value, already encoded */
} vg_attr_kind;

/* One attribute of a record (ABI.md section 6): a structured field such as errno or filename,
 * or a field of the user's own error.  Build them with the macros below. */
typedef struct vg_attr {
    const char *key; /* NUL-terminated UTF-8 */
    vg_attr_kind kind;
    int64_t i;
    const void *bytes;
    size_t len;
} vg_attr;

#define VG_INT_ATTR(key, value) ((vg_attr){(key), VG_ATTR_INT, (value), NULL, 0})
#define VG_STR_ATTR(key, str, len) ((vg_attr){(key), VG_ATTR_STR, 0, (str), (len)})
#define VG_CSTR_ATTR(key, str) VG_STR_ATTR((key), (str), strlen(str))
#define VG_RAW_ATTR(key, value, len) ((vg_attr){(key), VG_ATTR_RAW, 0, (value), (len)})

/* One level of an exception chain: what a record holds besides its language ("c"), its cause
 * and its notes. */
typedef struct vg_exception {
    const char *name;    /* ABI.md section 7: a framework name, a standard name of 7.1, ... */
    const char *message; /* this level's own text, NUL-terminated UTF-8 */
    const vg_frame *frames; /* oldest call first; the last is where it was raised */
    size_t nframes;
    const vg_attr *attrs; /* in any order; the writer sorts them by key.  Keys must differ:
                           * of equal keys only the first is written. */
    size_t nattrs;
} vg_exception;

/* Writes a chain of records, outermost first: each level the cause of the one before, the last
 * without a cause.  Canonical keys (ABI.md section 6): name, message, language, traceback,
 * cause, then notes and attributes only when there are any; attribute keys sorted by their
 * bytes.  A chain over VG_MAX_CHAIN levels, a traceback over VG_MAX_FRAMES frames and over
 * VG_MAX_ATTRIBUTES attributes are cut, with a note saying so.  No recursion, however long the
 * chain: the records are opened front to back and closed back to front. */
MPL_API void vg_write_exception_chain(mpl_writer *w, const vg_exception *levels, size_t n);

/* The two halves of one record, for a cause the caller writes itself (one copied from a
 * callback's reply, say): vg_write_exception_open writes everything up to and including the
 * key "cause"; the caller writes the cause (a record, or nil); vg_write_exception_close writes
 * the notes and attributes that follow it.  Both take the same `e`. */
MPL_API void vg_write_exception_open(mpl_writer *w, const vg_exception *e);
MPL_API void vg_write_exception_close(mpl_writer *w, const vg_exception *e);

/* vg_write_exception_open for a record without attributes, which needs no closing: the caller
 * writes the cause and the record is complete. */
MPL_API void vg_write_exception_head(mpl_writer *w, const char *name, const char *message,
                                     const vg_frame *frames, size_t nframes);

/* ---- Errors from the OS (ABI.md section 7.1) ------------------------------------------- */

/* The shared name of a failure with this error number (PEP 3151's table: ENOENT is
 * "FileNotFoundError", EACCES and EPERM "PermissionError", ...); "OSError" for any other. */
MPL_API const char *vg_errno_name(int errnum);

/* One level describing an OS failure: named by its error number, the system's text for it as
 * the message ("No such file or directory"), and the attributes errno and, when `filename` is
 * not NULL, filename (`filename_len` bytes).  It points into itself: use it where it was
 * initialized, do not copy it.  `filename` and `frames` must outlive it. */
typedef struct vg_os_error {
    vg_exception level;
    vg_attr attrs[2];
    char message[128];
} vg_os_error;

MPL_API void vg_os_error_init(vg_os_error *e, int errnum, const char *filename,
                              size_t filename_len, const vg_frame *frames, size_t nframes);

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

/* Lifts a closure: an extension value of type 64 with a 40-byte payload.  Anything else is
 * MPL_ERR_TYPE and the reader does not move.  The words are taken as they are; whether they are
 * usable (not NULL) is for the caller to check. */
MPL_API mpl_error vg_read_closure(mpl_reader *r, vg_closure *f);

/* The scratch buffer lent to every call of a closure: small replies cost no allocation. */
#define VG_CALLBACK_SCRATCH 256

/* The largest reply of a closure that is read (ABI.md section 2: 1 GiB, the hosts' default). */
#define VG_MAX_REPLY ((uint64_t)1 << 30)

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
    bool free_reply;  /* the reply is the closure's memory, to give back with its realloc */
    const uint8_t *value;
    size_t value_len;
    size_t chain; /* VG_CALL_ERROR: records in the chain, the outermost included */
    const char *problem_name; /* VG_CALL_BROKEN: a framework exception name ... */
    char problem[128];        /* ... and what was wrong, without the function's name */
} vg_callback;

/* Calls `f` with the encoded argument array `args`, lending it cb->scratch (ABI.md sections 3
 * and 15), checks the reply box before reading a byte of it, in the order of ABI.md section 2
 * ({NULL, 0}: virgil.OutOfMemory; NULL with a length or a pointer without one, a length beyond
 * the scratch buffer, a pointer into `args` or the scratch buffer other than the scratch
 * pointer, a scratch buffer left unwritten: virgil.ProtocolError; more than VG_MAX_REPLY bytes:
 * virgil.LimitExceeded, freed unread), then the reply envelope: one map {"ok": value} or
 * {"error": record}, well formed, nothing after it, the record a map with a "name" and a chain
 * of at most VG_MAX_CHAIN records.  Only a reply that passed the box checks and is not the
 * scratch buffer is ever freed.  Always call vg_callback_done afterwards, whatever the status. */
MPL_API vg_call_status vg_callback_call(vg_callback *cb, const vg_closure *f, const uint8_t *args,
                                        size_t len);

/* Gives the reply back with the closure's realloc, when it is the closure's memory (not
 * cb->scratch, not the caller's own bytes). */
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

/* The manifest's optional keys (ABI.md section 8), written after `functions` when true. */
typedef struct vg_manifest_keys {
    bool borrow; /* the functions accept borrowed byte strings and strings (section 16) */
} vg_manifest_keys;

/* vg_write_manifest with the optional keys. */
MPL_API void vg_write_manifest_with(mpl_writer *w, int64_t abi, const char *library,
                                    const char *version, const vg_function *functions,
                                    size_t nfunctions, vg_manifest_keys keys);

/* The whole reply of virgil_stats: {"ok": {"allocations": int, "frees": int, "live": int}},
 * counted before the reply itself is allocated. */
MPL_API void vg_reply_stats(virgil_box *out);

#endif /* VIRGIL_GUEST_H */
