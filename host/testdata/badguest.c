/*
 * badguest.c: a guest that breaks the reply rules of cabi/ABI.md on purpose, one way per
 * function, for the Go host's tests: each breakage must come out as a clear error
 * (virgil.ResultError, virgil.InternalError, a decoder's depth limit), never as a crash, a hang
 * or a leak.  Its allocator, manifest and stats are correct, so the tests can also check that
 * the host frees exactly what it must (`always_alloc`, `scratch_fill` at the capacity boundary).
 *
 * Build it alone (it compiles the MessagePack code it needs into itself), from the repository
 * root:
 *     gcc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -I cabi \
 *         -o build/badguest.so host/testdata/badguest.c
 */
#include "../../examples/c-guest/mpack_lite.c"
#include "virgil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

void not_envelope(const virgil_box *in, virgil_box *out);
void empty_reply(const virgil_box *in, virgil_box *out);
void two_keys(const virgil_box *in, virgil_box *out);
void wrong_key(const virgil_box *in, virgil_box *out);
void trailing(const virgil_box *in, virgil_box *out);
void truncated(const virgil_box *in, virgil_box *out);
void always_alloc(const virgil_box *in, virgil_box *out);
void scratch_fill(const virgil_box *in, virgil_box *out);
void deep_nesting(const virgil_box *in, virgil_box *out);
void bad_exception(const virgil_box *in, virgil_box *out);
void deep_cause(const virgil_box *in, virgil_box *out);

/* ---- A correct allocator, counted for virgil_stats -------------------------------------- */

static _Atomic uint64_t allocation_count;
static _Atomic uint64_t free_count;

/* Called by the library's own code instead of the exported symbol, which another library
 * loaded into the process could interpose. */
static void *counted_realloc(void *ptr, size_t size)
{
    if (size == 0) {
        if (ptr != NULL) {
            free(ptr);
            atomic_fetch_add(&free_count, 1);
        }
        return NULL;
    }
    void *p = realloc(ptr, size);
    if (p != NULL && ptr == NULL)
        atomic_fetch_add(&allocation_count, 1);
    return p;
}

EXPORT void *virgil_realloc(void *ptr, size_t size)
{
    return counted_realloc(ptr, size);
}

/* ---- Replying by the scratch-buffer protocol -------------------------------------------- */

/* Starts a reply in the caller's scratch buffer (if it lent one). */
static void start(mpl_writer *w, const virgil_box *out)
{
    size_t cap = out->ptr != NULL && out->len <= SIZE_MAX ? (size_t)out->len : 0;
    mpl_writer_init(w, counted_realloc, out->ptr, cap);
}

/* Hands the reply over: in the scratch buffer, in virgil_realloc memory, or {NULL, 0}. */
static void finish(mpl_writer *w, virgil_box *out)
{
    if (mpl_writer_error(w) != MPL_OK) {
        mpl_writer_destroy(w);
        out->ptr = NULL;
        out->len = 0;
        return;
    }
    if (w->owned)
        out->ptr = w->buf;
    out->len = w->len;
}

/* Replies these bytes, whatever they are. */
static void reply_bytes(virgil_box *out, const char *bytes, size_t len)
{
    mpl_writer w;
    start(&w, out);
    mpl_write_raw(&w, bytes, len);
    finish(&w, out);
}

#define REPLY_LITERAL(out, literal) reply_bytes((out), (literal), sizeof(literal) - 1)

/* An exception record with an empty traceback, up to and including the key "cause". */
static void write_record_head(mpl_writer *w, const char *name, const char *message)
{
    mpl_write_map(w, 5);
    mpl_write_cstr(w, "name");
    mpl_write_cstr(w, name);
    mpl_write_cstr(w, "message");
    mpl_write_cstr(w, message);
    mpl_write_cstr(w, "language");
    mpl_write_cstr(w, "c");
    mpl_write_cstr(w, "traceback");
    mpl_write_array(w, 0);
    mpl_write_cstr(w, "cause");
}

/* ---- The misbehaving functions ---------------------------------------------------------- */

/* The msgpack string "garbage": not a map at all. */
EXPORT void not_envelope(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY_LITERAL(out, "\xa7garbage");
}

/* No reply, as when the guest could not allocate one: the host raises virgil.InternalError. */
EXPORT void empty_reply(const virgil_box *in, virgil_box *out)
{
    (void)in;
    out->ptr = NULL;
    out->len = 0;
}

/* {"ok": 1, "extra": 2}: an envelope has exactly one key. */
EXPORT void two_keys(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY_LITERAL(out, "\x82\xa2ok\x01\xa5"
                       "extra\x02");
}

/* {"result": 1}: neither "ok" nor "error". */
EXPORT void wrong_key(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY_LITERAL(out, "\x81\xa6result\x01");
}

/* {"ok": 1} followed by one more byte (nil). */
EXPORT void trailing(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY_LITERAL(out, "\x81\xa2ok\x01\xc0");
}

/* {"ok": <uint16 with one of its two bytes missing>. */
EXPORT void truncated(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY_LITERAL(out, "\x81\xa2ok\xcd\x01");
}

/* {"ok": "allocated"}, always in virgil_realloc memory even when the scratch buffer would do:
 * legal (ABI.md section 3, rule 3), and the host must free it. */
EXPORT void always_alloc(const virgil_box *in, virgil_box *out)
{
    static const char reply[] = "\x81\xa2ok\xa9"
                                "allocated";
    (void)in;
    uint8_t *p = counted_realloc(NULL, sizeof reply - 1);
    if (p != NULL)
        memcpy(p, reply, sizeof reply - 1);
    out->ptr = p;
    out->len = p != NULL ? sizeof reply - 1 : 0;
}

/* Reads the single int argument of scratch_fill, 0 to 2^30. */
static bool read_length(const virgil_box *in, size_t *n)
{
    mpl_reader r;
    uint32_t count;
    int64_t v;
    mpl_reader_init(&r, in->ptr, in->len <= SIZE_MAX ? (size_t)in->len : 0);
    if (mpl_read_array(&r, &count) != MPL_OK || count != 1 || mpl_read_int(&r, &v) != MPL_OK ||
        mpl_reader_remaining(&r) != 0 || v < 0 || v > (INT64_C(1) << 30))
        return false;
    *n = (size_t)v;
    return true;
}

/* scratch_fill(n: int) -> bytes: {"ok": <bin of n bytes, byte i = i mod 251>}, written into
 * the scratch buffer exactly when the whole reply fits, for testing the boundary
 * reply_len == capacity. */
EXPORT void scratch_fill(const virgil_box *in, virgil_box *out)
{
    mpl_writer w;
    size_t n;
    start(&w, out);
    if (!read_length(in, &n)) {
        mpl_write_map(&w, 1);
        mpl_write_cstr(&w, "error");
        write_record_head(&w, "virgil.ArgumentError",
                          "scratch_fill: expected one int argument from 0 to 2^30");
        mpl_write_nil(&w);
    } else {
        mpl_writer_reserve(&w, 4 + mpl_bin_header_size(n) + n); /* exactly the reply's size */
        mpl_write_map(&w, 1);
        mpl_write_cstr(&w, "ok");
        uint8_t block[251];
        for (size_t i = 0; i < sizeof block; i++)
            block[i] = (uint8_t)i;
        mpl_write_bin_header(&w, n);
        for (size_t left = n; left > 0;) {
            size_t k = left < sizeof block ? left : sizeof block;
            mpl_write_raw(&w, block, k);
            left -= k;
        }
    }
    finish(&w, out);
}

/* {"ok": [[[ ... [nil] ... ]]]} with 100,000 arrays: far past the 512 levels a decoder must
 * accept, so the host has to stop with an error instead of overflowing its stack. */
EXPORT void deep_nesting(const virgil_box *in, virgil_box *out)
{
    enum { DEPTH = 100000 };
    mpl_writer w;
    (void)in;
    start(&w, out);
    mpl_writer_reserve(&w, 4 + DEPTH + 1);
    mpl_write_map(&w, 1);
    mpl_write_cstr(&w, "ok");
    for (int i = 0; i < DEPTH; i++)
        mpl_write_array(&w, 1);
    mpl_write_nil(&w);
    finish(&w, out);
}

/* {"error": "not a record"}: an error envelope whose value is a string, not a record. */
EXPORT void bad_exception(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY_LITERAL(out, "\x81\xa5"
                       "error\xac"
                       "not a record");
}

/* An exception whose cause chain is 1000 records deep (DeepCause1000 ... DeepCause1); decoders
 * must reject chains deeper than 256 levels (ABI.md section 6). */
EXPORT void deep_cause(const virgil_box *in, virgil_box *out)
{
    mpl_writer w;
    (void)in;
    start(&w, out);
    mpl_write_map(&w, 1);
    mpl_write_cstr(&w, "error");
    for (int level = 1000; level >= 1; level--) {
        char name[32], message[32];
        snprintf(name, sizeof name, "DeepCause%d", level);
        snprintf(message, sizeof message, "level %d", level);
        write_record_head(&w, name, message);
    }
    mpl_write_nil(&w);
    finish(&w, out);
}

/* ---- Manifest and diagnostics (both correct) --------------------------------------------- */

typedef struct function_info {
    const char *name;
    const char *param; /* the one parameter's name, or NULL */
    const char *param_type;
    const char *result;
    const char *doc;
} function_info;

/* Sorted by name, as the manifest requires. */
static const function_info functions[] = {
    {"always_alloc", NULL, NULL, "str", "replies {\"ok\": \"allocated\"}, always allocated"},
    {"bad_exception", NULL, NULL, "nil", "replies {\"error\": \"not a record\"}"},
    {"deep_cause", NULL, NULL, "nil", "replies an error with a 1000-level cause chain"},
    {"deep_nesting", NULL, NULL, "any", "replies 100000 nested arrays"},
    {"empty_reply", NULL, NULL, "nil", "leaves out as {NULL, 0}"},
    {"not_envelope", NULL, NULL, "any", "replies the string \"garbage\""},
    {"scratch_fill", "n", "int", "bytes", "replies n bytes, in the scratch buffer when they fit"},
    {"trailing", NULL, NULL, "int", "replies {\"ok\": 1} and one byte more"},
    {"truncated", NULL, NULL, "int", "replies {\"ok\": <truncated uint16>}"},
    {"two_keys", NULL, NULL, "int", "replies {\"ok\": 1, \"extra\": 2}"},
    {"wrong_key", NULL, NULL, "int", "replies {\"result\": 1}"},
};

static void write_function_info(mpl_writer *w, const function_info *f)
{
    mpl_write_map(w, 4);
    mpl_write_cstr(w, "name");
    mpl_write_cstr(w, f->name);
    mpl_write_cstr(w, "params");
    mpl_write_array(w, f->param != NULL ? 1 : 0);
    if (f->param != NULL) {
        mpl_write_map(w, 2);
        mpl_write_cstr(w, "name");
        mpl_write_cstr(w, f->param);
        mpl_write_cstr(w, "type");
        mpl_write_cstr(w, f->param_type);
    }
    mpl_write_cstr(w, "result");
    mpl_write_cstr(w, f->result);
    mpl_write_cstr(w, "doc");
    mpl_write_cstr(w, f->doc);
}

EXPORT void virgil_manifest(const virgil_box *in, virgil_box *out)
{
    const size_t n = sizeof functions / sizeof functions[0];
    mpl_writer w;
    (void)in;
    start(&w, out);
    mpl_write_map(&w, 1);
    mpl_write_cstr(&w, "ok");
    mpl_write_map(&w, 5);
    mpl_write_cstr(&w, "abi");
    mpl_write_int(&w, VIRGIL_ABI_VERSION);
    mpl_write_cstr(&w, "library");
    mpl_write_cstr(&w, "badguest");
    mpl_write_cstr(&w, "language");
    mpl_write_cstr(&w, "c");
    mpl_write_cstr(&w, "version");
    mpl_write_cstr(&w, "1.0.0");
    mpl_write_cstr(&w, "functions");
    mpl_write_array(&w, n);
    for (size_t i = 0; i < n; i++)
        write_function_info(&w, &functions[i]);
    finish(&w, out);
}

EXPORT void virgil_stats(const virgil_box *in, virgil_box *out)
{
    mpl_writer w;
    (void)in;
    /* Frees first: every free follows its allocation, so `live` cannot come out negative. */
    uint64_t frees = atomic_load(&free_count);
    uint64_t allocations = atomic_load(&allocation_count);
    start(&w, out);
    mpl_write_map(&w, 1);
    mpl_write_cstr(&w, "ok");
    mpl_write_map(&w, 3);
    mpl_write_cstr(&w, "allocations");
    mpl_write_uint(&w, allocations);
    mpl_write_cstr(&w, "frees");
    mpl_write_uint(&w, frees);
    mpl_write_cstr(&w, "live");
    mpl_write_uint(&w, allocations - frees);
    finish(&w, out);
}
