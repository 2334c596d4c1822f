/*
 * mpack_lite: a small MessagePack reader and writer for Virgil's C guests.
 *
 * The reader works over a borrowed (pointer, length) view and never reads past its end: every
 * length is checked against the bytes that remain, and a value that runs past the end is
 * MPL_ERR_TRUNCATED, found before anything of that length is allocated.  Typed reads are
 * all-or-nothing: on any error the reader does not move, so a caller can peek at what was there
 * to write a good message.  Strings and byte strings are returned as views into the input, not
 * copies.  mpl_copy checks a whole value against the edges of cabi/ABI.md section 5 (valid
 * UTF-8, valid timestamps, scalar and distinct map keys, nesting at most 512 deep) and writes
 * its canonical encoding.
 *
 * A reader with `borrow` set reads borrowed values (cabi/ABI.md section 16): an extension 65 or 66
 * whose 16-byte payload holds a pointer and a length reads as the byte string or string of those
 * bytes, wherever a bin or a str may be, after the section's checks of its words; its views point
 * into the lent memory.  Without `borrow` those extensions are extensions like any other.
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
    MPL_ERR_TOO_LONG,  /* the writer was asked for a length over 32 bits */
    MPL_ERR_UTF8,      /* a str that is not valid UTF-8 */
    MPL_ERR_TIMESTAMP, /* an extension -1 that is not a valid timestamp */
    MPL_ERR_KEY_TYPE,  /* a map key that is an array or a map */
    MPL_ERR_DUP_KEY,   /* two keys of one map that are equal as values */
    MPL_ERR_CLOSURE,   /* an extension 64 (a closure) without its 40-byte payload */
    MPL_ERR_BORROWED,  /* a borrowed value (extension 65 or 66) whose payload is not 16 bytes */
    MPL_ERR_BORROWED_LENGTH,  /* a borrowed value of 2^32 bytes or more */
    MPL_ERR_BORROWED_POINTER  /* a borrowed value NULL with a length, or wrapping the address
                               * space */
} mpl_error;

/* The extension types of borrowed values (cabi/ABI.md section 16). */
#define MPL_BORROWED_BIN 65
#define MPL_BORROWED_STR 66
/* A borrowed value's payload: the pointer and the length, 64-bit words in the platform's order. */
#define MPL_BORROWED_SIZE 16

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
    size_t pos;  /* offset of the next value */
    bool borrow; /* extensions 65 and 66 read as borrowed byte strings and strings */
    /* The addresses [lent_lo, lent_hi) span the memory of every non-empty borrowed value read so
     * far (lent_lo == lent_hi: none), for a caller that must keep its writes off it. */
    uintptr_t lent_lo, lent_hi;
} mpl_reader;

/* A reader over data[0..len), with `borrow` unset. */
MPL_API void mpl_reader_init(mpl_reader *r, const void *data, size_t len);

/* Whether the next value is a borrowed byte string or string (read with `borrow` set). */
MPL_API bool mpl_peek_borrowed(const mpl_reader *r);

/* A borrowed value's words, checked (cabi/ABI.md section 16) but never followed: its family
 * (MPL_BIN or MPL_STR), pointer and length.  Anything else is MPL_ERR_TYPE, or the error of a
 * broken borrowed value; the reader then does not move. */
MPL_API mpl_error mpl_read_lent(mpl_reader *r, mpl_type *type, const uint8_t **ptr, size_t *len);

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

/* A view of the string's bytes inside the input, or inside the lent memory for a borrowed string
 * (not NUL-terminated).  A string that is not valid UTF-8 is MPL_ERR_UTF8. */
MPL_API mpl_error mpl_read_str(mpl_reader *r, const char **str, size_t *len);

/* A view of the byte string inside the input, or inside the lent memory for a borrowed one. */
MPL_API mpl_error mpl_read_bin(mpl_reader *r, const uint8_t **bin, size_t *len);

/* An extension value (fixext 1/2/4/8/16 or ext 8/16/32): its type code and a view of its body
 * inside the input.  With `borrow` set, extensions 65 and 66 are not extensions but byte strings
 * and strings (MPL_ERR_TYPE here), or broken ones (their MPL_ERR_BORROWED_* error). */
MPL_API mpl_error mpl_read_ext(mpl_reader *r, int8_t *type, const uint8_t **body, size_t *len);

/* Array and map headers: the number of elements (of key-value pairs for a map) that follow.
 * A count that cannot possibly fit in the remaining bytes is MPL_ERR_TRUNCATED right away. */
MPL_API mpl_error mpl_read_array(mpl_reader *r, uint32_t *count);
MPL_API mpl_error mpl_read_map(mpl_reader *r, uint32_t *count);

/* Skips one whole value, checking that it is well formed and nested at most MPL_MAX_DEPTH
 * deep.  Uses no recursion, so hostile input cannot exhaust the stack. */
MPL_API mpl_error mpl_skip(mpl_reader *r);

/* Whether s[0..len) is valid UTF-8: no overlong forms, no surrogates (U+D800 ... U+DFFF), nothing
 * above U+10FFFF, no truncated sequence. */
MPL_API bool mpl_utf8_valid(const uint8_t *s, size_t len);


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

/* A timestamp (extension -1) in its canonical form: timestamp 32 when nsec is 0 and
 * 0 <= sec < 2^32, else timestamp 64 when 0 <= sec < 2^34, else timestamp 96.  nsec must be
 * below 1e9 (MPL_ERR_TIMESTAMP otherwise). */
MPL_API void mpl_write_timestamp(mpl_writer *w, int64_t sec, uint32_t nsec);

/* The header of an extension value of `len` bytes: fixext 1/2/4/8/16 when `len` is one of those,
 * else the smallest of ext 8/16/32.  The caller appends the body with mpl_write_raw. */
MPL_API void mpl_write_ext_header(mpl_writer *w, int8_t type, size_t len);

/* Headers only, for a string or byte string whose `len` bytes the caller appends with
 * mpl_write_raw (in one piece or several). */
MPL_API void mpl_write_str_header(mpl_writer *w, size_t len);
MPL_API void mpl_write_bin_header(mpl_writer *w, size_t len);

/* The size of the header mpl_write_bin_header writes for `len` bytes (0 when it cannot). */
MPL_API size_t mpl_bin_header_size(size_t len);

/* A borrowed value (cabi/ABI.md section 16): fixext 16 of `type` (MPL_BORROWED_BIN or
 * MPL_BORROWED_STR) holding `ptr` and `len`.  It views memory, it does not copy it: a guest
 * writes one in a reply only for memory the caller lent to the call. */
MPL_API void mpl_write_borrowed(mpl_writer *w, int8_t type, const void *ptr, size_t len);

/* Appends bytes as they are: already-encoded values, or the body after a header. */
MPL_API void mpl_write_raw(mpl_writer *w, const void *bytes, size_t len);

/* ---- Canonical copy -------------------------------------------------------------------- */

/* Reads one whole value and writes its canonical encoding (cabi/ABI.md section 5) to `out`, or
 * only checks it when `out` is NULL.  Refused, and the reader does not move: a str that is not
 * UTF-8 (MPL_ERR_UTF8), a timestamp with 1e9 nanoseconds or more or of a length other than 4, 8
 * or 12 (MPL_ERR_TIMESTAMP), an array or map as a map key (MPL_ERR_KEY_TYPE), two keys of one
 * map with the same canonical encoding (MPL_ERR_DUP_KEY), an extension 64 whose payload is not
 * 40 bytes (MPL_ERR_CLOSURE), nesting deeper than MPL_MAX_DEPTH (MPL_ERR_DEPTH), and whatever
 * mpl_skip refuses (with `borrow` set, broken borrowed values).  Borrowed values are written as
 * the inline byte strings and strings they read as (copied).  Integers, strings, byte strings, arrays and maps are written in their
 * smallest form, timestamps as timestamp 32, 64 or 96 by section 5's rule, float 32 and float 64
 * as they came, other extensions (type and bytes) unchanged under their smallest header.  No
 * recursion; `alloc` holds the keys of the open maps while they are compared (nothing when the
 * maps are small).  A failure of `out` is its sticky error, which is also returned. */
MPL_API mpl_error mpl_copy(mpl_reader *r, mpl_writer *out, mpl_realloc_fn alloc);

#endif /* MPACK_LITE_H */
