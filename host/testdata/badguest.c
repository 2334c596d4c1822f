/*
 * badguest.c: a guest that breaks the reply rules of cabi/ABI.md on purpose, one way per
 * function, for the Go host's tests: each breakage must come out as a clear error
 * (virgil.ResultError, virgil.InternalError, a decoder's depth limit), never as a crash, a hang
 * or a leak.  Its allocator, manifest and stats are correct, so the tests can also check that
 * the host frees exactly what it must (`always_alloc`, `scratch_fill` at the capacity boundary).
 *
 * Build it alone (it compiles the C guest's MessagePack code and glue into itself), from the
 * repository root:
 *     gcc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -I cabi \
 *         -o build/badguest.so host/testdata/badguest.c
 */
#include "../../examples/c-guest/mpack_lite.c"
#include "../../examples/c-guest/virgil_guest.c"
#include "virgil.h"

#include <stdio.h>
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

/* ---- A correct allocator, and replies by the scratch-buffer protocol -------------------- */

EXPORT void *virgil_realloc(void *ptr, size_t size)
{
    return vg_realloc(ptr, size);
}

/* Replies these bytes, whatever they are. */
static void reply_bytes(virgil_box *out, const char *bytes, size_t len)
{
    mpl_writer w;
    vg_reply_start(&w, NULL, out);
    mpl_write_raw(&w, bytes, len);
    vg_reply_finish(&w, out);
}

#define REPLY_LITERAL(out, literal) reply_bytes((out), (literal), sizeof(literal) - 1)

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
    uint8_t *p = vg_realloc(NULL, sizeof reply - 1);
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
    vg_args_init(&r, in);
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
    bool valid = read_length(in, &n);
    vg_reply_start(&w, NULL, out); /* the argument is read: the reply may overwrite it */
    if (!valid) {
        vg_write_error(&w);
        vg_write_exception_head(&w, "virgil.ArgumentError",
                                "scratch_fill: expected one int argument from 0 to 2^30", NULL, 0);
        mpl_write_nil(&w);
    } else {
        mpl_writer_reserve(&w, 4 + mpl_bin_header_size(n) + n); /* exactly the reply's size */
        vg_write_ok(&w);
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
    vg_reply_finish(&w, out);
}

/* {"ok": [[[ ... [nil] ... ]]]} with 100,000 arrays: far past the 512 levels a decoder must
 * accept, so the host has to stop with an error instead of overflowing its stack. */
EXPORT void deep_nesting(const virgil_box *in, virgil_box *out)
{
    enum { DEPTH = 100000 };
    mpl_writer w;
    (void)in;
    vg_reply_start(&w, NULL, out);
    mpl_writer_reserve(&w, 4 + DEPTH + 1);
    vg_write_ok(&w);
    for (int i = 0; i < DEPTH; i++)
        mpl_write_array(&w, 1);
    mpl_write_nil(&w);
    vg_reply_finish(&w, out);
}

/* {"error": "not a record"}: an error envelope whose value is a string, not a record. */
EXPORT void bad_exception(const virgil_box *in, virgil_box *out)
{
    (void)in;
    REPLY_LITERAL(out, "\x81\xa5"
                       "error\xac"
                       "not a record");
}

/* An exception whose cause chain is 300 records deep (DeepCause300 ... DeepCause1); decoders
 * must reject chains deeper than 256 levels (ABI.md section 6). */
EXPORT void deep_cause(const virgil_box *in, virgil_box *out)
{
    mpl_writer w;
    (void)in;
    vg_reply_start(&w, NULL, out);
    vg_write_error(&w);
    for (int level = 300; level >= 1; level--) {
        char name[32], message[32];
        snprintf(name, sizeof name, "DeepCause%d", level);
        snprintf(message, sizeof message, "level %d", level);
        vg_write_exception_head(&w, name, message, NULL, 0);
    }
    mpl_write_nil(&w);
    vg_reply_finish(&w, out);
}

/* ---- Manifest and diagnostics (both correct) --------------------------------------------- */

static const vg_param n_int[] = {{"n", "int"}};

/* Sorted by name, as the manifest requires. */
static const vg_function functions[] = {
    {"always_alloc", 0, NULL, "str", "replies {\"ok\": \"allocated\"}, always allocated"},
    {"bad_exception", 0, NULL, "nil", "replies {\"error\": \"not a record\"}"},
    {"deep_cause", 0, NULL, "nil", "replies an error with a 300-level cause chain"},
    {"deep_nesting", 0, NULL, "any", "replies 100000 nested arrays"},
    {"empty_reply", 0, NULL, "nil", "leaves out as {NULL, 0}"},
    {"not_envelope", 0, NULL, "any", "replies the string \"garbage\""},
    {"scratch_fill", 1, n_int, "bytes", "replies n bytes, in the scratch buffer when they fit"},
    {"trailing", 0, NULL, "int", "replies {\"ok\": 1} and one byte more"},
    {"truncated", 0, NULL, "int", "replies {\"ok\": <truncated uint16>}"},
    {"two_keys", 0, NULL, "int", "replies {\"ok\": 1, \"extra\": 2}"},
    {"wrong_key", 0, NULL, "int", "replies {\"result\": 1}"},
};

EXPORT void virgil_manifest(const virgil_box *in, virgil_box *out)
{
    mpl_writer w;
    (void)in;
    vg_reply_start(&w, NULL, out);
    vg_write_manifest(&w, VIRGIL_ABI_VERSION, "badguest", "1.0.0", functions,
                      sizeof functions / sizeof functions[0]);
    vg_reply_finish(&w, out);
}

EXPORT void virgil_stats(const virgil_box *in, virgil_box *out)
{
    (void)in;
    vg_reply_stats(out);
}
