/*
 * abi2guest.c: a guest from the future, whose manifest says "abi": 2.  The Go host's tests open
 * it and expect virgil.AbiMismatch, before any function is called (cabi/ABI.md section 8).  It
 * is otherwise an ordinary guest, with an allocator and one working function, `add`, so
 * that the refusal can only come from the version.
 *
 * Build it alone (it compiles the MessagePack code it needs into itself), from the repository
 * root:
 *     gcc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -I cabi \
 *         -o build/abi2guest.so host/testdata/abi2guest.c
 */
#include "../../examples/c-guest/mpack_lite.c"
#include "virgil.h"

#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))

void add(const virgil_box *in, virgil_box *out);

/* realloc semantics, with size 0 freeing (plain realloc(p, 0) need not free). */
static void *guest_realloc(void *ptr, size_t size)
{
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

EXPORT void *virgil_realloc(void *ptr, size_t size)
{
    return guest_realloc(ptr, size);
}

/* Hands the reply over by the scratch-buffer protocol, or {NULL, 0} if it could not be made. */
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

static void start(mpl_writer *w, const virgil_box *out)
{
    size_t cap = out->ptr != NULL && out->len <= SIZE_MAX ? (size_t)out->len : 0;
    mpl_writer_init(w, guest_realloc, out->ptr, cap);
}

/* {"ok": {"abi": 2, "library": "future", "language": "c", "version": "9.0.0", "functions": []}} */
EXPORT void virgil_manifest(const virgil_box *in, virgil_box *out)
{
    mpl_writer w;
    (void)in;
    start(&w, out);
    mpl_write_map(&w, 1);
    mpl_write_cstr(&w, "ok");
    mpl_write_map(&w, 5);
    mpl_write_cstr(&w, "abi");
    mpl_write_int(&w, 2);
    mpl_write_cstr(&w, "library");
    mpl_write_cstr(&w, "future");
    mpl_write_cstr(&w, "language");
    mpl_write_cstr(&w, "c");
    mpl_write_cstr(&w, "version");
    mpl_write_cstr(&w, "9.0.0");
    mpl_write_cstr(&w, "functions");
    mpl_write_array(&w, 0);
    finish(&w, out);
}

/* add(a: int, b: int) -> int, with one catch-all ArgumentError (no traceback) for bad input. */
EXPORT void add(const virgil_box *in, virgil_box *out)
{
    mpl_reader r;
    mpl_writer w;
    uint32_t count;
    int64_t a, b;
    mpl_reader_init(&r, in->ptr, in->len <= SIZE_MAX ? (size_t)in->len : 0);
    start(&w, out);
    mpl_write_map(&w, 1);
    if (mpl_read_array(&r, &count) == MPL_OK && count == 2 && mpl_read_int(&r, &a) == MPL_OK &&
        mpl_read_int(&r, &b) == MPL_OK && mpl_reader_remaining(&r) == 0 &&
        !((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))) {
        mpl_write_cstr(&w, "ok");
        mpl_write_int(&w, a + b);
    } else {
        mpl_write_cstr(&w, "error");
        mpl_write_map(&w, 5);
        mpl_write_cstr(&w, "name");
        mpl_write_cstr(&w, "virgil.ArgumentError");
        mpl_write_cstr(&w, "message");
        mpl_write_cstr(&w, "add: expected two ints whose sum fits int64");
        mpl_write_cstr(&w, "language");
        mpl_write_cstr(&w, "c");
        mpl_write_cstr(&w, "traceback");
        mpl_write_array(&w, 0);
        mpl_write_cstr(&w, "cause");
        mpl_write_nil(&w);
    }
    finish(&w, out);
}
