/*
 * hostile_guest.c: a Virgil guest that breaks the protocol on purpose, one way per function, for
 * the hostile-peer suite (cabi/conformance/hostile.json, `guest_faults`; cabi/ABI.md sections 2,
 * 3, 7, 11 and 16).  Written from cabi/virgil.h alone, with a small MessagePack writer of its own.
 *
 * virgil_realloc counts what it allocates and frees, and virgil_stats reports the counts, so a
 * host can check that it freed exactly the buffers the guest gave it, once each.  Every function
 * ignores its arguments.  The replies that are well-formed boxes are written in the guest's own
 * memory (never the scratch buffer), so that the host must free them.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "virgil.h"

/* ---- The counting allocator ------------------------------------------------------------- */

static atomic_ullong allocations, frees;

void *virgil_realloc(void *ptr, size_t size)
{
    if (ptr == NULL && size == 0)
        return NULL;
    if (size == 0) {
        free(ptr);
        atomic_fetch_add(&frees, 1);
        return NULL;
    }
    void *p = realloc(ptr, size);
    if (ptr == NULL && p != NULL)
        atomic_fetch_add(&allocations, 1);
    return p;
}

/* ---- A growable MessagePack writer in virgil_realloc memory ----------------------------- */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    bool failed;
} writer;

static void put(writer *w, const void *bytes, size_t n)
{
    if (w->failed)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *p = virgil_realloc(w->buf, cap);
        if (p == NULL) {
            w->failed = true;
            return;
        }
        w->buf = p;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, bytes, n);
    w->len += n;
}

static void put_byte(writer *w, uint8_t b) { put(w, &b, 1); }

static void put_be(writer *w, uint8_t code, uint64_t v, int size)
{
    uint8_t b[9];
    b[0] = code;
    for (int i = 0; i < size; i++)
        b[1 + i] = (uint8_t)(v >> (8 * (size - 1 - i)));
    put(w, b, 1 + (size_t)size);
}

static void put_uint(writer *w, uint64_t v)
{
    if (v < 0x80)
        put_byte(w, (uint8_t)v);
    else if (v <= 0xff)
        put_be(w, 0xcc, v, 1);
    else if (v <= 0xffff)
        put_be(w, 0xcd, v, 2);
    else if (v <= 0xffffffffu)
        put_be(w, 0xce, v, 4);
    else
        put_be(w, 0xcf, v, 8);
}

static void put_str(writer *w, const char *s)
{
    size_t n = strlen(s);
    if (n < 32)
        put_byte(w, (uint8_t)(0xa0 | n));
    else
        put_be(w, 0xd9, n, 1); /* every string here is shorter than 256 bytes */
    put(w, s, n);
}

static void put_array(writer *w, uint32_t n)
{
    if (n < 16)
        put_byte(w, (uint8_t)(0x90 | n));
    else if (n <= 0xffff)
        put_be(w, 0xdc, n, 2);
    else
        put_be(w, 0xdd, n, 4);
}

static void put_map(writer *w, uint32_t n) { put_byte(w, (uint8_t)(0x80 | n)); /* n < 16 */ }

/* Hands the writer's bytes to the host as the reply, in the guest's memory; a failed allocation
 * replies {NULL, 0} as section 2 says. */
static void finish(writer *w, virgil_box *out)
{
    if (w->failed) {
        virgil_realloc(w->buf, 0);
        out->ptr = NULL;
        out->len = 0;
        return;
    }
    out->ptr = w->buf;
    out->len = w->len;
}

/* Replies these literal bytes, in the guest's own memory. */
static void reply_literal(virgil_box *out, const char *bytes, size_t n)
{
    writer w = {0};
    put(&w, bytes, n);
    finish(&w, out);
}

#define REPLY(out, literal) reply_literal((out), (literal), sizeof(literal) - 1)

/* ---- The ABI's own functions ------------------------------------------------------------ */

/* The functions, sorted by name as the manifest lists them. */
static const char *const functions[] = {
    "reply_beyond_scratch",      "reply_borrowed_huge",   "reply_borrowed_input",
    "reply_borrowed_null",       "reply_borrowed_own_memory", "reply_borrowed_past_input",
    "reply_borrowed_short",      "reply_chain_257",       "reply_frames_4097",
    "reply_garbage",             "reply_huge_length",     "reply_inside_scratch",
    "reply_into_input",          "reply_invalid_utf8",    "reply_no_memory",
    "reply_not_written",         "reply_null_with_length", "reply_ok_then_valid",
    "reply_pointer_without_length", "reply_too_deep",     "reply_trailing_bytes",
    "reply_truncated",           "reply_two_entries",
};

void virgil_manifest(const virgil_box *in, virgil_box *out)
{
    (void)in;
    writer w = {0};
    size_t n = sizeof functions / sizeof functions[0];
    put_map(&w, 1);
    put_str(&w, "ok");
    put_map(&w, 6);
    put_str(&w, "abi");
    put_uint(&w, VIRGIL_ABI_VERSION);
    put_str(&w, "library");
    put_str(&w, "hostile");
    put_str(&w, "language");
    put_str(&w, "c");
    put_str(&w, "version");
    put_str(&w, "1.0.0");
    put_str(&w, "functions");
    put_array(&w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        put_map(&w, 4);
        put_str(&w, "name");
        put_str(&w, functions[i]);
        put_str(&w, "params");
        put_array(&w, 0);
        put_str(&w, "result");
        put_str(&w, "any");
        put_str(&w, "doc");
        put_str(&w, "breaks the protocol as cabi/conformance/hostile.json says");
    }
    /* Declared so that a host reading borrowed values only from libraries that declare them
     * still meets the reply_borrowed_* faults; no function here reads its arguments. */
    put_str(&w, "borrow");
    put_byte(&w, 0xc3);
    finish(&w, out);
}

void virgil_stats(const virgil_box *in, virgil_box *out)
{
    (void)in;
    /* Read before this reply is allocated, so it is not counted (section 10). */
    unsigned long long a = atomic_load(&allocations), f = atomic_load(&frees);
    writer w = {0};
    put_map(&w, 1);
    put_str(&w, "ok");
    put_map(&w, 3);
    put_str(&w, "allocations");
    put_uint(&w, a);
    put_str(&w, "frees");
    put_uint(&w, f);
    put_str(&w, "live");
    put_uint(&w, a - f); /* never negative: a host frees only what was allocated */
    finish(&w, out);
}

/* ---- The faults: one per guest_faults entry of hostile.json ----------------------------- */

/* The reply points at the caller's own argument bytes. */
void reply_into_input(const virgil_box *in, virgil_box *out)
{
    out->ptr = in->ptr;
    out->len = in->len;
}

/* A valid envelope written at scratch + 1, and the reply pointing there.  Without a scratch
 * buffer of at least 6 bytes it cannot do that and points at in's bytes instead. */
void reply_inside_scratch(const virgil_box *in, virgil_box *out)
{
    static const uint8_t ok1[] = {0x81, 0xa2, 'o', 'k', 0x01};
    if (out->ptr == NULL || out->len < sizeof ok1 + 1) {
        reply_into_input(in, out);
        return;
    }
    memcpy(out->ptr + 1, ok1, sizeof ok1);
    out->ptr += 1;
    out->len = 3;
}

void reply_null_with_length(const virgil_box *in, virgil_box *out)
{
    (void)in;
    out->ptr = NULL;
    out->len = 5;
}

/* A pointer of the guest's own with length 0; the buffer leaks on purpose, since a host that
 * gets a pointer without a length must not free it. */
void reply_pointer_without_length(const virgil_box *in, virgil_box *out)
{
    (void)in;
    out->ptr = virgil_realloc(NULL, 16);
    out->len = 0;
}

/* The scratch pointer left in place with a length one beyond the capacity, nothing written. */
void reply_beyond_scratch(const virgil_box *in, virgil_box *out)
{
    (void)in;
    out->len += 1;
}

/* A 16-byte buffer claimed to be 2^50 bytes long: the host must free it unread. */
void reply_huge_length(const virgil_box *in, virgil_box *out)
{
    (void)in;
    uint8_t *p = virgil_realloc(NULL, 16);
    if (p == NULL) {
        out->ptr = NULL;
        out->len = 0;
        return;
    }
    memset(p, 0xc1, 16);
    out->ptr = p;
    out->len = (uint64_t)1 << 50;
}

void reply_not_written(const virgil_box *in, virgil_box *out)
{
    (void)in;
    (void)out;
}

void reply_no_memory(const virgil_box *in, virgil_box *out)
{
    (void)in;
    out->ptr = NULL;
    out->len = 0;
}

void reply_garbage(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY(out, "\xc1\xc1\xc1");
}

void reply_truncated(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY(out, "\x81\xa2ok\xa5he");
}

void reply_trailing_bytes(const virgil_box *in, virgil_box *out)
{
    (void)in;
    reply_literal(out, "\x81\xa2ok\x01\x00", 6);
}

/* {"ok": v} with v 513 arrays deep around 1. */
void reply_too_deep(const virgil_box *in, virgil_box *out)
{
    (void)in;
    writer w = {0};
    put_map(&w, 1);
    put_str(&w, "ok");
    for (int i = 0; i < 513; i++)
        put_array(&w, 1);
    put_uint(&w, 1);
    finish(&w, out);
}

void reply_invalid_utf8(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY(out, "\x81\xa2ok\xa2\xc3\x28");
}

/* Writes the start of a record: name, message, language, and the traceback's key. */
static void put_record_head(writer *w, const char *name, const char *message)
{
    put_map(w, 5);
    put_str(w, "name");
    put_str(w, name);
    put_str(w, "message");
    put_str(w, message);
    put_str(w, "language");
    put_str(w, "c");
    put_str(w, "traceback");
}

static void put_frame(writer *w, const char *function, uint64_t line)
{
    put_map(w, 4);
    put_str(w, "function");
    put_str(w, function);
    put_str(w, "file");
    put_str(w, "cabi/conformance/hostile/hostile_guest.c");
    put_str(w, "line");
    put_uint(w, line);
    put_str(w, "column");
    put_uint(w, 0);
}

/* {"error": record} whose chain has 257 records, one frame each. */
void reply_chain_257(const virgil_box *in, virgil_box *out)
{
    (void)in;
    writer w = {0};
    put_map(&w, 1);
    put_str(&w, "error");
    for (int level = 257; level >= 1; level--) {
        put_record_head(&w, "ChainLevel", "a level of a chain too long");
        put_array(&w, 1);
        put_frame(&w, "reply_chain_257", (uint64_t)level);
        put_str(&w, "cause");
    }
    put_byte(&w, 0xc0); /* the innermost has no cause */
    finish(&w, out);
}

/* {"error": record} with 4,097 traceback frames. */
void reply_frames_4097(const virgil_box *in, virgil_box *out)
{
    (void)in;
    writer w = {0};
    put_map(&w, 1);
    put_str(&w, "error");
    put_record_head(&w, "DeepStack", "a traceback too long");
    put_array(&w, 4097);
    for (uint64_t i = 1; i <= 4097; i++)
        put_frame(&w, "reply_frames_4097", i);
    put_str(&w, "cause");
    put_byte(&w, 0xc0);
    finish(&w, out);
}

void reply_two_entries(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY(out, "\x82\xa2ok\x01\xa5" "error\xc0");
}

/* The control: a valid {"ok": 42} in the guest's own memory. */
void reply_ok_then_valid(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY(out, "\x81\xa2ok\x2a");
}

/* ---- Borrowed values in replies (section 16) -------------------------------------------- */

/* Writes the 64-bit word v little-endian, as a borrowed value's payload holds it. */
static void put_le64(writer *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, 8);
}

/* Replies {"ok": ext 65 viewing len bytes at ptr}, the envelope in the guest's own memory. */
static void reply_borrowed(virgil_box *out, const void *ptr, uint64_t len)
{
    writer w = {0};
    put_map(&w, 1);
    put_str(&w, "ok");
    put_byte(&w, 0xd8);
    put_byte(&w, VIRGIL_EXT_BORROWED_BYTES);
    put_le64(&w, (uint64_t)(uintptr_t)ptr);
    put_le64(&w, len);
    finish(&w, out);
}

/* Four bytes of the guest's own static memory, which the caller never lent. */
void reply_borrowed_own_memory(const virgil_box *in, virgil_box *out)
{
    (void)in;
    static const uint8_t own[4] = {1, 2, 3, 4};
    reply_borrowed(out, own, sizeof own);
}

void reply_borrowed_null(const virgil_box *in, virgil_box *out)
{
    (void)in;
    reply_borrowed(out, NULL, 8);
}

/* Starts at the caller's argument bytes and runs one byte past them. */
void reply_borrowed_past_input(const virgil_box *in, virgil_box *out)
{
    reply_borrowed(out, in->ptr, in->len + 1);
}

/* An ext 65 whose payload is 8 bytes (fixext 8): in's pointer alone. */
void reply_borrowed_short(const virgil_box *in, virgil_box *out)
{
    writer w = {0};
    put_map(&w, 1);
    put_str(&w, "ok");
    put_byte(&w, 0xd7);
    put_byte(&w, VIRGIL_EXT_BORROWED_BYTES);
    put_le64(&w, (uint64_t)(uintptr_t)in->ptr);
    finish(&w, out);
}

void reply_borrowed_huge(const virgil_box *in, virgil_box *out)
{
    reply_borrowed(out, in->ptr, (uint64_t)1 << 32);
}

/* The control: a legal view of exactly the caller's argument bytes. */
void reply_borrowed_input(const virgil_box *in, virgil_box *out)
{
    reply_borrowed(out, in->ptr, in->len);
}
