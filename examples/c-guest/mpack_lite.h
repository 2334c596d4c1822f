/*
 * mpack_lite: a small MessagePack reader and writer for Virgil's C guests.
 *
 * The reader works over a borrowed (pointer, length) view and never reads past its end: every
 * length is checked against the bytes that remain, and a value that runs past the end is
 * MPL_ERR_TRUNCATED.  Typed reads are all-or-nothing: on any error the reader does not move, so a
 * caller can peek at what was there to write a good message.  Strings and byte strings are
 * returned as views into the input, not copies.
 *
 * The writer appends the canonical (smallest) encodings of cabi/ABI.md section 5 to a growable
 * buffer; floats are always written as float 64 (0xcb).  It may start in a fixed buffer lent by
 * the caller and moves to memory from its allocator only when that buffer is full.  Errors are
 * sticky: after the first failure (out of memory, a length over 32 bits) every write does
 * nothing, and the caller checks mpl_writer_error() once at the end.
 */
#ifndef MPACK_LITE_H
#define MPACK_LITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Library-internal API: visible to the files of one shared library, never exported from it. */
#if defined(__GNUC__)
#define MPL_API __attribute__((visibility("hidden")))
#else
#define MPL_API
#endif

/* Deepest nesting of arrays and maps that mpl_skip accepts (cabi/ABI.md section 11). */
#define MPL_MAX_DEPTH 512

typedef enum mpl_error {
    MPL_OK = 0,
    MPL_ERR_TRUNCATED, /* the input ends inside a value */
    MPL_ERR_INVALID,   /* byte 0xc1, which MessagePack never uses */
    MPL_ERR_TYPE,      /* the next value is not of the requested family */
    MPL_ERR_RANGE,     /* an integer does not fit the requested type */
    MPL_ERR_DEPTH,     /* arrays and maps nested deeper than MPL_MAX_DEPTH */
    MPL_ERR_NOMEM,     /* the writer could not grow its buffer */
    MPL_ERR_TOO_LONG   /* the writer was asked for a length over 32 bits */
} mpl_error;

/* The families of MessagePack values.  Float 32 and float 64 are both MPL_FLOAT. */
typedef enum mpl_type {
    MPL_NIL,
    MPL_BOOL,
    MPL_INT,
    MPL_FLOAT,
    MPL_STR,
    MPL_BIN,
    MPL_ARRAY,
    MPL_MAP,
    MPL_EXT
} mpl_type;

/* A short human-readable description: "truncated input", "nesting too deep", ... */
MPL_API const char *mpl_strerror(mpl_error err);

/* The family's name as used in messages: nil, bool, int, float, str, bin, array, map, ext. */
MPL_API const char *mpl_type_name(mpl_type type);

/* ---- Reader ---------------------------------------------------------------------------- */

typedef struct mpl_reader {
    const uint8_t *data; /* borrowed; never dereferenced beyond data[len - 1] */
    size_t len;
    size_t pos; /* offset of the next value */
} mpl_reader;

MPL_API void mpl_reader_init(mpl_reader *r, const void *data, size_t len);

/* Bytes not yet read. */
MPL_API size_t mpl_reader_remaining(const mpl_reader *r);

/* The family of the next value, without reading it. */
MPL_API mpl_error mpl_peek_type(const mpl_reader *r, mpl_type *type);

MPL_API mpl_error mpl_read_nil(mpl_reader *r);
MPL_API mpl_error mpl_read_bool(mpl_reader *r, bool *value);

/* Any integer encoding; MPL_ERR_RANGE when the value does not fit int64 (uint64 above
 * INT64_MAX).  Floats are MPL_ERR_TYPE. */
MPL_API mpl_error mpl_read_int(mpl_reader *r, int64_t *value);

/* Float 32 or float 64 only. */
MPL_API mpl_error mpl_read_float(mpl_reader *r, double *value);

/* Float 32, float 64 or any integer (converted to the nearest double). */
MPL_API mpl_error mpl_read_number(mpl_reader *r, double *value);

/* A view of the string's bytes inside the input (not NUL-terminated, not checked for UTF-8). */
MPL_API mpl_error mpl_read_str(mpl_reader *r, const char **str, size_t *len);

/* A view of the byte string inside the input. */
MPL_API mpl_error mpl_read_bin(mpl_reader *r, const uint8_t **bin, size_t *len);

/* An extension value (fixext 1/2/4/8/16 or ext 8/16/32): its type code and a view of its body
 * inside the input. */
MPL_API mpl_error mpl_read_ext(mpl_reader *r, int8_t *type, const uint8_t **body, size_t *len);

/* Array and map headers: the number of elements (of key-value pairs for a map) that follow.
 * A count that cannot possibly fit in the remaining bytes is MPL_ERR_TRUNCATED right away. */
MPL_API mpl_error mpl_read_array(mpl_reader *r, uint32_t *count);
MPL_API mpl_error mpl_read_map(mpl_reader *r, uint32_t *count);

/* Skips one whole value, checking that it is well formed and nested at most MPL_MAX_DEPTH
 * deep.  Uses no recursion, so hostile input cannot exhaust the stack. */
MPL_API mpl_error mpl_skip(mpl_reader *r);

/* ---- Writer ---------------------------------------------------------------------------- */

/* An allocator with realloc semantics; (p, 0) frees. */
typedef void *(*mpl_realloc_fn)(void *ptr, size_t size);

typedef struct mpl_writer {
    uint8_t *buf;
    size_t len; /* bytes written */
    size_t cap; /* bytes available at buf */
    bool owned; /* buf came from alloc (else it is the caller's fixed buffer, or NULL) */
    mpl_realloc_fn alloc;
    mpl_error error; /* the first failure; once set, writes do nothing */
} mpl_writer;

/* Starts writing into `fixed` (cap bytes, owned by the caller; may be NULL with cap 0).  When it
 * is full the writer moves its contents to a buffer from `alloc` and continues there. */
MPL_API void mpl_writer_init(mpl_writer *w, mpl_realloc_fn alloc, void *fixed, size_t cap);

/* Gives back an allocated buffer, if any.  The writer must not be used afterwards. */
MPL_API void mpl_writer_destroy(mpl_writer *w);

/* Forgets what was written and clears the error, keeping the buffer. */
MPL_API void mpl_writer_reset(mpl_writer *w);

MPL_API mpl_error mpl_writer_error(const mpl_writer *w);

/* Makes room for `extra` more bytes at once (for a large reply of known size). */
MPL_API void mpl_writer_reserve(mpl_writer *w, size_t extra);

MPL_API void mpl_write_nil(mpl_writer *w);
MPL_API void mpl_write_bool(mpl_writer *w, bool value);
MPL_API void mpl_write_int(mpl_writer *w, int64_t value);
MPL_API void mpl_write_uint(mpl_writer *w, uint64_t value);
MPL_API void mpl_write_double(mpl_writer *w, double value);
MPL_API void mpl_write_str(mpl_writer *w, const char *str, size_t len);
MPL_API void mpl_write_cstr(mpl_writer *w, const char *str);
MPL_API void mpl_write_bin(mpl_writer *w, const void *bin, size_t len);
MPL_API void mpl_write_array(mpl_writer *w, size_t count);
MPL_API void mpl_write_map(mpl_writer *w, size_t count);

/* Headers only, for a string or byte string whose `len` bytes the caller appends with
 * mpl_write_raw (in one piece or several). */
MPL_API void mpl_write_str_header(mpl_writer *w, size_t len);
MPL_API void mpl_write_bin_header(mpl_writer *w, size_t len);

/* The size of the header mpl_write_bin_header writes for `len` bytes (0 when it cannot). */
MPL_API size_t mpl_bin_header_size(size_t len);

/* Appends bytes as they are: already-encoded values, or the body after a header. */
MPL_API void mpl_write_raw(mpl_writer *w, const void *bytes, size_t len);

#endif /* MPACK_LITE_H */
