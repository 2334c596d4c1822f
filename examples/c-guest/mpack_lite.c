/* mpack_lite.c: see mpack_lite.h.  It is one file, a single-file MessagePack reader/writer,
 * because the test guests (in host/testdata and test/records_test.c) include it whole. */
#ifndef _POSIX_C_SOURCE
/* Nothing here needs it, but guests that compile this file and virgil_guest.c into one unit
 * (host/testdata) include this one first, and virgil_guest.c's strerror_r needs it before the
 * first libc header. */
#define _POSIX_C_SOURCE 200809L
#endif

#include "mpack_lite.h"

#include <stdlib.h>
#include <string.h>

const char *mpl_strerror(mpl_error err)
{
    switch (err) {
    case MPL_OK:
        return "no error";
    case MPL_ERR_TRUNCATED:
        return "truncated input";
    case MPL_ERR_INVALID:
        return "invalid byte 0xc1";
    case MPL_ERR_TYPE:
        return "unexpected type";
    case MPL_ERR_RANGE:
        return "integer out of range";
    case MPL_ERR_DEPTH:
        return "nesting deeper than 512 levels";
    case MPL_ERR_NOMEM:
        return "out of memory";
    case MPL_ERR_TOO_LONG:
        return "length does not fit 32 bits";
    case MPL_ERR_UTF8:
        return "str is not valid UTF-8";
    case MPL_ERR_TIMESTAMP:
        return "invalid timestamp";
    case MPL_ERR_KEY_TYPE:
        return "a map key is an array or a map";
    case MPL_ERR_DUP_KEY:
        return "duplicate map key";
    case MPL_ERR_CLOSURE:
        return "extension 64 (a closure) without its 40-byte payload";
    case MPL_ERR_BORROWED:
        return "a borrowed value (extension 65 or 66) whose payload is not 16 bytes";
    case MPL_ERR_BORROWED_LENGTH:
        return "a borrowed value of 2^32 bytes or more";
    case MPL_ERR_BORROWED_POINTER:
        return "a borrowed value NULL with a length, or wrapping the address space";
    }
    return "unknown error";
}

const char *mpl_type_name(mpl_type type)
{
    static const char *const names[] = {
        [MPL_NIL] = "nil",     [MPL_BOOL] = "bool", [MPL_INT] = "int",
        [MPL_FLOAT] = "float", [MPL_STR] = "str",   [MPL_BIN] = "bin",
        [MPL_ARRAY] = "array", [MPL_MAP] = "map",   [MPL_EXT] = "ext",
    };
    return (unsigned)type < sizeof names / sizeof names[0] ? names[type] : "unknown";
}

/* ---- Reader ---------------------------------------------------------------------------- */

/* What the first bytes of a value say about it. */
typedef struct header {
    mpl_type type;
    size_t size;     /* the header's own bytes: type byte, then length, immediate or ext type;
                      * for a borrowed value, the whole extension */
    uint64_t length; /* str, bin, ext: body bytes after the header; array, map: element count */
    bool borrowed;   /* a borrowed str or bin: its `length` bytes are at `lent`, not inline */
    const uint8_t *lent;
    bool negative;   /* MPL_INT: the value is `sval` (< 0); otherwise it is `uval` */
    uint64_t uval;
    int64_t sval;
    double fval;
    bool bval;
} header;

static uint64_t load_be(const uint8_t *p, size_t width)
{
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++)
        v = v << 8 | p[i];
    return v;
}

/* The two's-complement integer of `width` bytes whose bits are `bits`, without relying on
 * implementation-defined conversions. */
static int64_t sign_extend(uint64_t bits, size_t width)
{
    uint64_t mask = width == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
    if (!(bits >> (8 * width - 1) & 1))
        return (int64_t)bits;
    return -(int64_t)(~bits & mask) - 1;
}

static void set_int(header *h, int64_t v)
{
    h->type = MPL_INT;
    h->negative = v < 0;
    h->sval = v;
    h->uval = v < 0 ? 0 : (uint64_t)v;
}

/* Checks that the body announced by the header can be in the `avail` bytes at all. */
static mpl_error check_body(const header *h, size_t avail)
{
    uint64_t room = avail - h->size;
    switch (h->type) {
    case MPL_STR:
    case MPL_BIN:
    case MPL_EXT:
    case MPL_ARRAY: /* every element takes at least one byte */
        return h->length > room ? MPL_ERR_TRUNCATED : MPL_OK;
    case MPL_MAP:
        return h->length > room / 2 ? MPL_ERR_TRUNCATED : MPL_OK;
    default:
        return MPL_OK;
    }
}

/* A header whose length field is `width` big-endian bytes after the type byte, followed by
 * `extra` more header bytes (the ext type). */
static mpl_error sized(header *h, mpl_type type, const uint8_t *p, size_t avail, size_t width,
                       size_t extra)
{
    h->type = type;
    h->size = 1 + width + extra;
    if (avail < h->size)
        return MPL_ERR_TRUNCATED;
    h->length = load_be(p + 1, width);
    return check_body(h, avail);
}

/* A scalar whose value is the `width` bytes after the type byte. */
static mpl_error fixed(header *h, const uint8_t *p, size_t avail, size_t width, uint64_t *bits)
{
    h->size = 1 + width;
    if (avail < h->size)
        return MPL_ERR_TRUNCATED;
    *bits = load_be(p + 1, width);
    return MPL_OK;
}

static mpl_error tagged_number(header *h, uint8_t b, const uint8_t *p, size_t avail)
{
    uint64_t bits = 0;
    mpl_error err;
    if (b == 0xca) {
        float f;
        uint32_t u32;
        if ((err = fixed(h, p, avail, 4, &bits)) != MPL_OK)
            return err;
        u32 = (uint32_t)bits;
        memcpy(&f, &u32, sizeof f);
        h->type = MPL_FLOAT;
        h->fval = f;
    } else if (b == 0xcb) {
        if ((err = fixed(h, p, avail, 8, &bits)) != MPL_OK)
            return err;
        h->type = MPL_FLOAT;
        memcpy(&h->fval, &bits, sizeof h->fval);
    } else if (b >= 0xcc && b <= 0xcf) { /* uint 8/16/32/64 */
        if ((err = fixed(h, p, avail, (size_t)1 << (b - 0xcc), &bits)) != MPL_OK)
            return err;
        h->type = MPL_INT;
        h->uval = bits;
    } else { /* 0xd0 ... 0xd3: int 8/16/32/64 */
        size_t width = (size_t)1 << (b - 0xd0);
        if ((err = fixed(h, p, avail, width, &bits)) != MPL_OK)
            return err;
        set_int(h, sign_extend(bits, width));
    }
    return MPL_OK;
}

/* The formats with a type byte from 0xc0 to 0xdf. */
static mpl_error tagged(header *h, uint8_t b, const uint8_t *p, size_t avail)
{
    switch (b) {
    case 0xc0:
        h->type = MPL_NIL;
        return MPL_OK;
    case 0xc1:
        return MPL_ERR_INVALID;
    case 0xc2:
    case 0xc3:
        h->type = MPL_BOOL;
        h->bval = b == 0xc3;
        return MPL_OK;
    case 0xc4: /* bin 8/16/32 */
    case 0xc5:
    case 0xc6:
        return sized(h, MPL_BIN, p, avail, (size_t)1 << (b - 0xc4), 0);
    case 0xc7: /* ext 8/16/32, then the ext type byte */
    case 0xc8:
    case 0xc9:
        return sized(h, MPL_EXT, p, avail, (size_t)1 << (b - 0xc7), 1);
    case 0xd4: /* fixext 1/2/4/8/16: the ext type byte, then a body of fixed size */
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        h->type = MPL_EXT;
        h->size = 2;
        h->length = (uint64_t)1 << (b - 0xd4);
        return avail < h->size ? MPL_ERR_TRUNCATED : check_body(h, avail);
    case 0xd9: /* str 8/16/32 */
    case 0xda:
    case 0xdb:
        return sized(h, MPL_STR, p, avail, (size_t)1 << (b - 0xd9), 0);
    case 0xdc:
        return sized(h, MPL_ARRAY, p, avail, 2, 0);
    case 0xdd:
        return sized(h, MPL_ARRAY, p, avail, 4, 0);
    case 0xde:
        return sized(h, MPL_MAP, p, avail, 2, 0);
    case 0xdf:
        return sized(h, MPL_MAP, p, avail, 4, 0);
    default: /* 0xca ... 0xd3 */
        return tagged_number(h, b, p, avail);
    }
}

/* With `borrow` set, an extension 65 or 66 (its header `h`, its bytes at `p`) becomes the byte
 * string or string it lends, after the checks of cabi/ABI.md section 16 in its order: a payload
 * of 16 bytes, a length below 2^32, not NULL with a length, not wrapping the address space.  Only
 * its words are read, never the memory they point at. */
static mpl_error lend(header *h, const uint8_t *p)
{
    uint8_t code = p[h->size - 1]; /* the ext type: the last byte of every ext header */
    if (code != MPL_BORROWED_BIN && code != MPL_BORROWED_STR)
        return MPL_OK;
    if (h->length != MPL_BORROWED_SIZE)
        return MPL_ERR_BORROWED;
    uint64_t ptr, len;
    memcpy(&ptr, p + h->size, 8);
    memcpy(&len, p + h->size + 8, 8);
    if (len > UINT32_MAX)
        return MPL_ERR_BORROWED_LENGTH;
    if ((ptr == 0 && len > 0) || ptr > UINTPTR_MAX - len)
        return MPL_ERR_BORROWED_POINTER;
    h->type = code == MPL_BORROWED_BIN ? MPL_BIN : MPL_STR;
    h->size += MPL_BORROWED_SIZE;
    h->length = len;
    h->borrowed = true;
    h->lent = (const uint8_t *)(uintptr_t)ptr;
    return MPL_OK;
}

/* Where the body of a str or bin whose header is `h` and whose bytes start at `p` is. */
static const uint8_t *body_of(const header *h, const uint8_t *p)
{
    return h->borrowed ? h->lent : p + h->size;
}

/* Decodes the header of the next value without moving the reader. */
static mpl_error read_header(const mpl_reader *r, header *h)
{
    size_t avail = r->len - r->pos;
    memset(h, 0, sizeof *h);
    h->size = 1;
    if (avail == 0)
        return MPL_ERR_TRUNCATED;
    const uint8_t *p = r->data + r->pos;
    uint8_t b = p[0];
    if (b <= 0x7f) { /* positive fixint */
        set_int(h, b);
        return MPL_OK;
    }
    if (b >= 0xe0) { /* negative fixint */
        set_int(h, (int64_t)b - 256);
        return MPL_OK;
    }
    if (b <= 0x8f) {
        h->type = MPL_MAP;
        h->length = b & 0x0f;
        return check_body(h, avail);
    }
    if (b <= 0x9f) {
        h->type = MPL_ARRAY;
        h->length = b & 0x0f;
        return check_body(h, avail);
    }
    if (b <= 0xbf) {
        h->type = MPL_STR;
        h->length = b & 0x1f;
        return check_body(h, avail);
    }
    mpl_error err = tagged(h, b, p, avail);
    if (err == MPL_OK && r->borrow && h->type == MPL_EXT)
        err = lend(h, p);
    return err;
}

/* Moves past the header, and past the body of a str, bin or ext (never past an array's or
 * map's elements: those are values of their own). */
static void advance(mpl_reader *r, const header *h)
{
    if (h->borrowed && h->length > 0) {
        uintptr_t lo = (uintptr_t)h->lent, hi = lo + (uintptr_t)h->length; /* checked: no wrap */
        bool none = r->lent_lo == r->lent_hi;
        r->lent_lo = none || lo < r->lent_lo ? lo : r->lent_lo;
        r->lent_hi = none || hi > r->lent_hi ? hi : r->lent_hi;
    }
    r->pos += h->size;
    if ((h->type == MPL_STR || h->type == MPL_BIN || h->type == MPL_EXT) && !h->borrowed)
        r->pos += (size_t)h->length; /* check_body proved it fits */
}

/* Reads the header of a value that must be of family `want`. */
static mpl_error expect(const mpl_reader *r, mpl_type want, header *h)
{
    mpl_error err = read_header(r, h);
    if (err != MPL_OK)
        return err;
    return h->type == want ? MPL_OK : MPL_ERR_TYPE;
}

void mpl_reader_init(mpl_reader *r, const void *data, size_t len)
{
    r->data = data;
    r->len = data != NULL ? len : 0;
    r->pos = 0;
    r->borrow = false;
    r->lent_lo = r->lent_hi = 0;
}

bool mpl_peek_borrowed(const mpl_reader *r)
{
    header h;
    return read_header(r, &h) == MPL_OK && h.borrowed;
}

mpl_error mpl_read_lent(mpl_reader *r, mpl_type *type, const uint8_t **ptr, size_t *len)
{
    header h;
    mpl_error err = read_header(r, &h);
    if (err != MPL_OK)
        return err;
    if (!h.borrowed)
        return MPL_ERR_TYPE;
    *type = h.type;
    *ptr = h.lent;
    *len = (size_t)h.length;
    advance(r, &h);
    return MPL_OK;
}

size_t mpl_reader_remaining(const mpl_reader *r)
{
    return r->len - r->pos;
}

mpl_error mpl_peek_type(const mpl_reader *r, mpl_type *type)
{
    header h;
    mpl_error err = read_header(r, &h);
    if (err == MPL_OK)
        *type = h.type;
    return err;
}

mpl_error mpl_read_nil(mpl_reader *r)
{
    header h;
    mpl_error err = expect(r, MPL_NIL, &h);
    if (err == MPL_OK)
        advance(r, &h);
    return err;
}

mpl_error mpl_read_bool(mpl_reader *r, bool *value)
{
    header h;
    mpl_error err = expect(r, MPL_BOOL, &h);
    if (err != MPL_OK)
        return err;
    *value = h.bval;
    advance(r, &h);
    return MPL_OK;
}

mpl_error mpl_read_int(mpl_reader *r, int64_t *value)
{
    header h;
    mpl_error err = expect(r, MPL_INT, &h);
    if (err != MPL_OK)
        return err;
    if (!h.negative && h.uval > INT64_MAX)
        return MPL_ERR_RANGE;
    *value = h.negative ? h.sval : (int64_t)h.uval;
    advance(r, &h);
    return MPL_OK;
}

mpl_error mpl_read_float(mpl_reader *r, double *value)
{
    header h;
    mpl_error err = expect(r, MPL_FLOAT, &h);
    if (err != MPL_OK)
        return err;
    *value = h.fval;
    advance(r, &h);
    return MPL_OK;
}

mpl_error mpl_read_number(mpl_reader *r, double *value)
{
    header h;
    mpl_error err = read_header(r, &h);
    if (err != MPL_OK)
        return err;
    if (h.type == MPL_FLOAT)
        *value = h.fval;
    else if (h.type == MPL_INT)
        *value = h.negative ? (double)h.sval : (double)h.uval;
    else
        return MPL_ERR_TYPE;
    advance(r, &h);
    return MPL_OK;
}

mpl_error mpl_read_str(mpl_reader *r, const char **str, size_t *len)
{
    header h;
    mpl_error err = expect(r, MPL_STR, &h);
    if (err != MPL_OK)
        return err;
    const uint8_t *body = body_of(&h, r->data + r->pos);
    if (!mpl_utf8_valid(body, (size_t)h.length))
        return MPL_ERR_UTF8;
    *str = (const char *)body;
    *len = (size_t)h.length;
    advance(r, &h);
    return MPL_OK;
}

mpl_error mpl_read_bin(mpl_reader *r, const uint8_t **bin, size_t *len)
{
    header h;
    mpl_error err = expect(r, MPL_BIN, &h);
    if (err != MPL_OK)
        return err;
    *bin = body_of(&h, r->data + r->pos);
    *len = (size_t)h.length;
    advance(r, &h);
    return MPL_OK;
}

mpl_error mpl_read_ext(mpl_reader *r, int8_t *type, const uint8_t **body, size_t *len)
{
    header h;
    mpl_error err = expect(r, MPL_EXT, &h);
    if (err != MPL_OK)
        return err;
    /* The ext type is the last byte of every ext header (fixext and ext 8/16/32 alike). */
    uint8_t code = r->data[r->pos + h.size - 1];
    *type = (int8_t)(code < 0x80 ? (int)code : (int)code - 256);
    *body = r->data + r->pos + h.size;
    *len = (size_t)h.length;
    advance(r, &h);
    return MPL_OK;
}

static mpl_error read_container(mpl_reader *r, mpl_type type, uint32_t *count)
{
    header h;
    mpl_error err = expect(r, type, &h);
    if (err != MPL_OK)
        return err;
    *count = (uint32_t)h.length; /* at most 32 bits on the wire */
    advance(r, &h);
    return MPL_OK;
}

mpl_error mpl_read_array(mpl_reader *r, uint32_t *count)
{
    return read_container(r, MPL_ARRAY, count);
}

mpl_error mpl_read_map(mpl_reader *r, uint32_t *count)
{
    return read_container(r, MPL_MAP, count);
}

mpl_error mpl_skip(mpl_reader *r)
{
    /* pending[i]: values still to skip in the i-th open container (a map's pairs count twice).
     * An explicit stack instead of recursion: 4 KiB, whatever the input. */
    uint64_t pending[MPL_MAX_DEPTH];
    size_t depth = 0;
    mpl_reader cur = *r;
    for (;;) {
        header h;
        mpl_error err = read_header(&cur, &h);
        if (err != MPL_OK)
            return err;
        advance(&cur, &h);
        if (h.type == MPL_ARRAY || h.type == MPL_MAP) {
            if (depth == MPL_MAX_DEPTH)
                return MPL_ERR_DEPTH;
            uint64_t items = h.type == MPL_MAP ? 2 * h.length : h.length;
            if (items > 0) {
                pending[depth++] = items;
                continue;
            }
        }
        /* One value is complete; so is every container whose last value it was. */
        while (depth > 0 && --pending[depth - 1] == 0)
            depth--;
        if (depth == 0)
            break;
    }
    *r = cur;
    return MPL_OK;
}

bool mpl_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t n;     /* continuation bytes */
        uint8_t lo = 0x80, hi = 0xbf; /* the range of the first continuation byte */
        if (b >= 0xc2 && b <= 0xdf) {
            n = 1;    /* 0xc0 and 0xc1 would be overlong */
        } else if (b >= 0xe0 && b <= 0xef) {
            n = 2;
            if (b == 0xe0)
                lo = 0xa0; /* overlong below U+0800 */
            else if (b == 0xed)
                hi = 0x9f; /* U+D800 ... U+DFFF: surrogates */
        } else if (b >= 0xf0 && b <= 0xf4) {
            n = 3;
            if (b == 0xf0)
                lo = 0x90; /* overlong below U+10000 */
            else if (b == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else {
            return false; /* a continuation byte first, 0xc0, 0xc1, or 0xf5 and above */
        }
        if (len - i <= n)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += n + 1;
    }
    return true;
}

/* ---- Canonical copy -------------------------------------------------------------------- */

/* The canonical keys of the maps open in mpl_copy, written one after another in `w`; `spans`
 * says where each is.  A stack: a map's keys follow those of the maps around it and are dropped
 * when it closes. */
typedef struct key_span {
    size_t off, len;
    const uint8_t *p; /* set just before sorting, when `w` no longer moves */
} key_span;

typedef struct key_stack {
    mpl_writer w;
    uint8_t fixed[256];
    key_span local[16];
    key_span *spans;
    size_t n, cap;
    mpl_realloc_fn alloc;
} key_stack;

static void keys_init(key_stack *k, mpl_realloc_fn alloc)
{
    mpl_writer_init(&k->w, alloc, k->fixed, sizeof k->fixed);
    k->spans = k->local;
    k->n = 0;
    k->cap = sizeof k->local / sizeof k->local[0];
    k->alloc = alloc;
}

static void keys_destroy(key_stack *k)
{
    mpl_writer_destroy(&k->w);
    if (k->spans != k->local)
        k->alloc(k->spans, 0);
}

static mpl_error keys_push(key_stack *k, size_t off)
{
    if (k->n == k->cap) {
        size_t cap = 2 * k->cap;
        key_span *spans;
        if (cap > SIZE_MAX / sizeof *spans)
            return MPL_ERR_NOMEM;
        if (k->spans == k->local) {
            spans = k->alloc(NULL, cap * sizeof *spans);
            if (spans != NULL)
                memcpy(spans, k->local, sizeof k->local);
        } else {
            spans = k->alloc(k->spans, cap * sizeof *spans);
        }
        if (spans == NULL)
            return MPL_ERR_NOMEM;
        k->spans = spans;
        k->cap = cap;
    }
    k->spans[k->n++] = (key_span){off, k->w.len - off, NULL};
    return MPL_OK;
}

static int compare_spans(const void *a, const void *b)
{
    const key_span *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Closes the map whose keys start at spans[base]: two equal keys are MPL_ERR_DUP_KEY. */
static mpl_error keys_close(key_stack *k, size_t base)
{
    size_t n = k->n - base;
    mpl_error err = MPL_OK;
    if (n >= 2) {
        key_span *spans = k->spans + base;
        for (size_t i = 0; i < n; i++)
            spans[i].p = k->w.buf + spans[i].off;
        if (n == 2)
            err = compare_spans(&spans[0], &spans[1]) == 0 ? MPL_ERR_DUP_KEY : MPL_OK;
        else {
            qsort(spans, n, sizeof *spans, compare_spans);
            for (size_t i = 1; i < n && err == MPL_OK; i++)
                if (compare_spans(&spans[i - 1], &spans[i]) == 0)
                    err = MPL_ERR_DUP_KEY;
        }
    }
    if (n > 0)
        k->w.len = k->spans[base].off;
    k->n = base;
    return err;
}

/* A timestamp's body (ABI.md section 5): 4 bytes of seconds, 8 of nanoseconds (30 bits) and
 * seconds (34 bits), or 12 of nanoseconds (32 bits) and signed seconds (64 bits). */
static mpl_error parse_timestamp(const uint8_t *body, size_t len, int64_t *sec, uint32_t *nsec)
{
    uint64_t bits;
    switch (len) {
    case 4:
        *sec = (int64_t)load_be(body, 4);
        *nsec = 0;
        return MPL_OK;
    case 8:
        bits = load_be(body, 8);
        *nsec = (uint32_t)(bits >> 34);
        *sec = (int64_t)(bits & ((UINT64_C(1) << 34) - 1));
        break;
    case 12:
        *nsec = (uint32_t)load_be(body, 4);
        *sec = sign_extend(load_be(body + 4, 8), 8);
        break;
    default:
        return MPL_ERR_TIMESTAMP;
    }
    return *nsec < 1000000000u ? MPL_OK : MPL_ERR_TIMESTAMP;
}

/* Writes the scalar (not an array or map) whose header is `h` and whose bytes start at `p`. */
static mpl_error copy_scalar(const header *h, const uint8_t *p, mpl_writer *w)
{
    const uint8_t *body = body_of(h, p);
    size_t len = (size_t)h->length;
    switch (h->type) {
    case MPL_NIL:
        mpl_write_nil(w);
        break;
    case MPL_BOOL:
        mpl_write_bool(w, h->bval);
        break;
    case MPL_INT:
        if (h->negative)
            mpl_write_int(w, h->sval);
        else
            mpl_write_uint(w, h->uval);
        break;
    case MPL_FLOAT: /* float 32 stays float 32: 0xca or 0xcb and the bits, as they came */
        mpl_write_raw(w, p, h->size);
        break;
    case MPL_STR:
        if (!mpl_utf8_valid(body, len))
            return MPL_ERR_UTF8;
        mpl_write_str(w, (const char *)body, len);
        break;
    case MPL_BIN:
        mpl_write_bin(w, body, len);
        break;
    case MPL_EXT: {
        uint8_t code = p[h->size - 1]; /* the last byte of every ext header */
        int8_t type = (int8_t)(code < 0x80 ? (int)code : (int)code - 256);
        if (type == -1) {
            int64_t sec;
            uint32_t nsec;
            mpl_error err = parse_timestamp(body, len, &sec, &nsec);
            if (err != MPL_OK)
                return err;
            mpl_write_timestamp(w, sec, nsec);
        } else {
            if (type == 64 && len != 40)
                return MPL_ERR_CLOSURE;
            mpl_write_ext_header(w, type, len);
            mpl_write_raw(w, body, len);
        }
        break;
    }
    default:
        return MPL_ERR_TYPE; /* arrays and maps are the caller's */
    }
    return MPL_OK;
}

mpl_error mpl_copy(mpl_reader *r, mpl_writer *out, mpl_realloc_fn alloc)
{
    /* The open containers: values still to read (a map's pairs count twice), whether it is a
     * map, and where its keys start on the key stack.  No recursion: 12 KiB, whatever the
     * input. */
    struct {
        uint64_t left;
        size_t keys;
        bool map;
    } open[MPL_MAX_DEPTH];
    size_t depth = 0;
    key_stack keys;
    mpl_reader cur = *r;
    mpl_error err = MPL_OK;
    keys_init(&keys, alloc);
    for (;;) {
        header h;
        const uint8_t *p = cur.data + cur.pos;
        bool is_key = depth > 0 && open[depth - 1].map && open[depth - 1].left % 2 == 0;
        if ((err = read_header(&cur, &h)) != MPL_OK)
            break;
        advance(&cur, &h);
        if (h.type == MPL_ARRAY || h.type == MPL_MAP) {
            if (is_key) {
                err = MPL_ERR_KEY_TYPE;
                break;
            }
            if (depth == MPL_MAX_DEPTH) {
                err = MPL_ERR_DEPTH;
                break;
            }
            if (out != NULL) {
                if (h.type == MPL_MAP)
                    mpl_write_map(out, (size_t)h.length);
                else
                    mpl_write_array(out, (size_t)h.length);
            }
            uint64_t items = h.type == MPL_MAP ? 2 * h.length : h.length;
            if (items > 0) {
                open[depth].left = items;
                open[depth].keys = keys.n;
                open[depth].map = h.type == MPL_MAP;
                depth++;
                continue;
            }
        } else if (is_key) { /* written to the key stack, then copied from there */
            size_t off = keys.w.len;
            if ((err = copy_scalar(&h, p, &keys.w)) != MPL_OK)
                break;
            if ((err = mpl_writer_error(&keys.w)) != MPL_OK ||
                (err = keys_push(&keys, off)) != MPL_OK)
                break;
            if (out != NULL)
                mpl_write_raw(out, keys.w.buf + off, keys.w.len - off);
        } else if (out != NULL) {
            if ((err = copy_scalar(&h, p, out)) != MPL_OK)
                break;
        } else {
            mpl_writer none; /* checks only: a writer that has failed writes nothing */
            mpl_writer_init(&none, alloc, NULL, 0);
            none.error = MPL_ERR_NOMEM;
            if ((err = copy_scalar(&h, p, &none)) != MPL_OK)
                break;
        }
        /* One value is complete; so is every container whose last value it was. */
        while (depth > 0 && --open[depth - 1].left == 0) {
            depth--;
            if (open[depth].map && (err = keys_close(&keys, open[depth].keys)) != MPL_OK)
                goto done;
        }
        if (depth == 0)
            break;
    }
done:
    keys_destroy(&keys);
    if (err == MPL_OK && out != NULL)
        err = mpl_writer_error(out);
    if (err == MPL_OK)
        *r = cur;
    return err;
}

/* ---- Writer ---------------------------------------------------------------------------- */

void mpl_writer_init(mpl_writer *w, mpl_realloc_fn alloc, void *fixed_buf, size_t cap)
{
    w->buf = fixed_buf;
    w->len = 0;
    w->cap = fixed_buf != NULL ? cap : 0;
    w->owned = false;
    w->alloc = alloc;
    w->error = MPL_OK;
}

void mpl_writer_destroy(mpl_writer *w)
{
    if (w->owned)
        w->alloc(w->buf, 0);
    w->buf = NULL;
    w->len = w->cap = 0;
    w->owned = false;
}

void mpl_writer_reset(mpl_writer *w)
{
    w->len = 0;
    w->error = MPL_OK;
}

mpl_error mpl_writer_error(const mpl_writer *w)
{
    return w->error;
}

/* Moves the contents to an allocated buffer of `cap` bytes (cap >= len). */
static bool resize(mpl_writer *w, size_t cap)
{
    uint8_t *buf;
    if (w->owned) {
        buf = w->alloc(w->buf, cap);
    } else {
        buf = w->alloc(NULL, cap);
        if (buf != NULL && w->len > 0)
            memcpy(buf, w->buf, w->len);
    }
    if (buf == NULL) {
        w->error = MPL_ERR_NOMEM;
        return false;
    }
    w->buf = buf;
    w->cap = cap;
    w->owned = true;
    return true;
}

/* Makes room for `extra` more bytes, doubling the buffer so that appends are amortized O(1). */
static bool ensure(mpl_writer *w, size_t extra)
{
    if (w->error != MPL_OK)
        return false;
    if (extra <= w->cap - w->len)
        return true;
    if (extra > SIZE_MAX - w->len) {
        w->error = MPL_ERR_NOMEM;
        return false;
    }
    size_t need = w->len + extra;
    size_t cap = w->cap < 64 ? 64 : w->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : 2 * cap;
    return resize(w, cap);
}

void mpl_writer_reserve(mpl_writer *w, size_t extra)
{
    if (w->error != MPL_OK || extra <= w->cap - w->len)
        return;
    if (extra > SIZE_MAX - w->len) {
        w->error = MPL_ERR_NOMEM;
        return;
    }
    resize(w, w->len + extra); /* exactly: the caller knows the final size */
}

void mpl_write_raw(mpl_writer *w, const void *bytes, size_t len)
{
    if (len == 0 || !ensure(w, len))
        return;
    memcpy(w->buf + w->len, bytes, len);
    w->len += len;
}

static void put_byte(mpl_writer *w, uint8_t b)
{
    mpl_write_raw(w, &b, 1);
}

/* A type byte followed by `value` in `width` big-endian bytes. */
static void put_tagged(mpl_writer *w, uint8_t tag, uint64_t value, size_t width)
{
    uint8_t bytes[9];
    bytes[0] = tag;
    for (size_t i = 0; i < width; i++)
        bytes[1 + i] = (uint8_t)(value >> (8 * (width - 1 - i)));
    mpl_write_raw(w, bytes, 1 + width);
}

void mpl_write_nil(mpl_writer *w)
{
    put_byte(w, 0xc0);
}

void mpl_write_bool(mpl_writer *w, bool value)
{
    put_byte(w, value ? 0xc3 : 0xc2);
}

void mpl_write_uint(mpl_writer *w, uint64_t value)
{
    if (value <= 0x7f)
        put_byte(w, (uint8_t)value);
    else if (value <= UINT8_MAX)
        put_tagged(w, 0xcc, value, 1);
    else if (value <= UINT16_MAX)
        put_tagged(w, 0xcd, value, 2);
    else if (value <= UINT32_MAX)
        put_tagged(w, 0xce, value, 4);
    else
        put_tagged(w, 0xcf, value, 8);
}

void mpl_write_int(mpl_writer *w, int64_t value)
{
    /* Converting a negative value to uint64_t is defined (modulo 2^64) and yields its two's
     * complement bits, of which put_tagged keeps the low `width` bytes. */
    uint64_t bits = (uint64_t)value;
    if (value >= 0)
        mpl_write_uint(w, bits);
    else if (value >= -32)
        put_byte(w, (uint8_t)bits);
    else if (value >= INT8_MIN)
        put_tagged(w, 0xd0, bits, 1);
    else if (value >= INT16_MIN)
        put_tagged(w, 0xd1, bits, 2);
    else if (value >= INT32_MIN)
        put_tagged(w, 0xd2, bits, 4);
    else
        put_tagged(w, 0xd3, bits, 8);
}

void mpl_write_timestamp(mpl_writer *w, int64_t sec, uint32_t nsec)
{
    if (nsec >= 1000000000u) {
        if (w->error == MPL_OK)
            w->error = MPL_ERR_TIMESTAMP;
        return;
    }
    uint8_t bytes[15];
    size_t n;
    if (nsec == 0 && sec >= 0 && sec <= (int64_t)UINT32_MAX) {
        bytes[0] = 0xd6;
        bytes[1] = 0xff;
        for (size_t i = 0; i < 4; i++)
            bytes[2 + i] = (uint8_t)((uint64_t)sec >> (8 * (3 - i)));
        n = 6;
    } else if (sec >= 0 && sec < (INT64_C(1) << 34)) {
        uint64_t bits = (uint64_t)nsec << 34 | (uint64_t)sec;
        bytes[0] = 0xd7;
        bytes[1] = 0xff;
        for (size_t i = 0; i < 8; i++)
            bytes[2 + i] = (uint8_t)(bits >> (8 * (7 - i)));
        n = 10;
    } else {
        bytes[0] = 0xc7;
        bytes[1] = 12;
        bytes[2] = 0xff;
        for (size_t i = 0; i < 4; i++)
            bytes[3 + i] = (uint8_t)(nsec >> (8 * (3 - i)));
        for (size_t i = 0; i < 8; i++)
            bytes[7 + i] = (uint8_t)((uint64_t)sec >> (8 * (7 - i)));
        n = 15;
    }
    mpl_write_raw(w, bytes, n);
}

void mpl_write_ext_header(mpl_writer *w, int8_t type, size_t len)
{
    uint8_t code = (uint8_t)type; /* two's complement, defined for unsigned conversion */
    uint8_t bytes[6];
    size_t n;
    switch (len) {
    case 1:
    case 2:
    case 4:
    case 8:
    case 16:
        bytes[0] = len == 1 ? 0xd4 : len == 2 ? 0xd5 : len == 4 ? 0xd6 : len == 8 ? 0xd7 : 0xd8;
        bytes[1] = code;
        mpl_write_raw(w, bytes, 2);
        return;
    default:
        break;
    }
    if (len <= UINT8_MAX) {
        bytes[0] = 0xc7;
        bytes[1] = (uint8_t)len;
        n = 2;
    } else if (len <= UINT16_MAX) {
        bytes[0] = 0xc8;
        bytes[1] = (uint8_t)(len >> 8);
        bytes[2] = (uint8_t)len;
        n = 3;
    } else if (len <= UINT32_MAX) {
        bytes[0] = 0xc9;
        for (size_t i = 0; i < 4; i++)
            bytes[1 + i] = (uint8_t)(len >> (8 * (3 - i)));
        n = 5;
    } else {
        if (w->error == MPL_OK)
            w->error = MPL_ERR_TOO_LONG;
        return;
    }
    bytes[n++] = code;
    mpl_write_raw(w, bytes, n);
}

void mpl_write_borrowed(mpl_writer *w, int8_t type, const void *ptr, size_t len)
{
    uint8_t bytes[2 + MPL_BORROWED_SIZE] = {0xd8, (uint8_t)type};
    uint64_t words[2] = {(uint64_t)(uintptr_t)ptr, (uint64_t)len};
    memcpy(bytes + 2, words, sizeof words); /* the platform's byte order */
    mpl_write_raw(w, bytes, sizeof bytes);
}

void mpl_write_double(mpl_writer *w, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    put_tagged(w, 0xcb, bits, 8);
}

/* The header of a str, bin, array or map: `fix` is the fix-format base byte (0 when the family
 * has none) with room for counts up to `fix_max`; tag8/16/32 are the sized formats (0 when the
 * family has no 8-bit form). */
static void put_header(mpl_writer *w, size_t n, uint8_t fix, size_t fix_max, uint8_t tag8,
                       uint8_t tag16, uint8_t tag32)
{
    if (fix != 0 && n <= fix_max)
        put_byte(w, (uint8_t)(fix | n));
    else if (tag8 != 0 && n <= UINT8_MAX)
        put_tagged(w, tag8, n, 1);
    else if (n <= UINT16_MAX)
        put_tagged(w, tag16, n, 2);
    else if (n <= UINT32_MAX)
        put_tagged(w, tag32, n, 4);
    else if (w->error == MPL_OK)
        w->error = MPL_ERR_TOO_LONG;
}

void mpl_write_str_header(mpl_writer *w, size_t len)
{
    put_header(w, len, 0xa0, 31, 0xd9, 0xda, 0xdb);
}

void mpl_write_bin_header(mpl_writer *w, size_t len)
{
    put_header(w, len, 0, 0, 0xc4, 0xc5, 0xc6); /* no fix format: empty is 0xc4 0x00 */
}

size_t mpl_bin_header_size(size_t len)
{
    return len <= UINT8_MAX ? 2 : len <= UINT16_MAX ? 3 : len <= UINT32_MAX ? 5 : 0;
}

void mpl_write_array(mpl_writer *w, size_t count)
{
    put_header(w, count, 0x90, 15, 0, 0xdc, 0xdd);
}

void mpl_write_map(mpl_writer *w, size_t count)
{
    put_header(w, count, 0x80, 15, 0, 0xde, 0xdf);
}

void mpl_write_str(mpl_writer *w, const char *str, size_t len)
{
    mpl_write_str_header(w, len);
    mpl_write_raw(w, str, len);
}

void mpl_write_cstr(mpl_writer *w, const char *str)
{
    mpl_write_str(w, str, strlen(str));
}

void mpl_write_bin(mpl_writer *w, const void *bin, size_t len)
{
    mpl_write_bin_header(w, len);
    mpl_write_raw(w, bin, len);
}
