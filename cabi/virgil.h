/*
 * virgil.h: the Virgil C ABI, version 1.  This header is normative; cabi/ABI.md explains it.
 *
 * Every function a Virgil library exports has one signature:
 *
 *     void NAME(const virgil_box *in, virgil_box *out);
 *
 * `in` holds the MessagePack array of positional arguments.  It is owned by the caller and only
 * borrowed for the duration of the call.  `out` is either {NULL, 0} or a scratch buffer
 * {ptr, capacity} owned by the caller.  The callee writes its whole reply envelope
 * ({"ok": value} or {"error": exception}) into the scratch buffer when it fits, setting out->len,
 * or else allocates a new buffer with its own virgil_realloc and points `out` at it.  The caller
 * then frees out->ptr with the callee's virgil_realloc(ptr, 0) exactly when out->ptr is not the
 * scratch pointer it passed.  A reply is never empty; a callee that cannot allocate its reply
 * leaves `out` as {NULL, 0}.  Nothing unwinds across the boundary.
 */
#ifndef VIRGIL_H
#define VIRGIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes.  A manifest's "abi" field carries it. */
#define VIRGIL_ABI_VERSION 1

/* First and last MessagePack extension type codes reserved for Virgil (inclusive). */
#define VIRGIL_EXT_FIRST 64
#define VIRGIL_EXT_LAST 79

/* Extension types of the values Virgil defines (ABI.md sections 15 and 16). */
#define VIRGIL_EXT_CLOSURE 64
#define VIRGIL_EXT_BORROWED_BYTES 65 /* fixext 16: ptr, len (little-endian); reads as bytes */
#define VIRGIL_EXT_BORROWED_STR 66   /* fixext 16: ptr, len (little-endian); reads as str */

/* A byte box: a pointer and a length.  16 bytes, 8-byte aligned on every 64-bit platform. */
typedef struct virgil_box {
    uint8_t *ptr; /* NULL when len == 0 */
    uint64_t len;
} virgil_box;

/* The one signature of every exported function. */
typedef void (*virgil_fn)(const virgil_box *in, virgil_box *out);

/* The guest's allocator, with realloc semantics: realloc(NULL, n) allocates, realloc(p, 0) frees
 * and returns NULL.  Every buffer a guest hands to its caller comes from here, and the caller
 * gives it back here.  Required in every guest library. */
void *virgil_realloc(void *ptr, size_t size);

/* Replies {"ok": manifest} describing the library; `in` is ignored.  Optional for hand-written
 * C guests; every kit provides it. */
void virgil_manifest(const virgil_box *in, virgil_box *out);

/* Optional diagnostics: replies {"ok": {"allocations": int, "frees": int, "live": int}} counting
 * virgil_realloc allocations and frees made so far; `in` is ignored.  Used by leak tests. */
void virgil_stats(const virgil_box *in, virgil_box *out);

#ifdef __cplusplus
}
#endif

#endif /* VIRGIL_H */
