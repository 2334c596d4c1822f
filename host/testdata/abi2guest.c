/*
 * abi2guest.c: a guest from the future, whose manifest says "abi": 2.  The Go host's tests open
 * it and expect virgil.AbiMismatch, before any function is called (cabi/ABI.md section 8).  It
 * is otherwise an ordinary guest, with an allocator and one working function, `add`, so
 * that the refusal can only come from the version.
 *
 * Build it alone (it compiles the C guest's MessagePack code and glue into itself), from the
 * repository root:
 *     gcc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -I cabi \
 *         -o build/abi2guest.so host/testdata/abi2guest.c
 */
#include "../../examples/c-guest/mpack_lite.c"
#include "../../examples/c-guest/virgil_guest.c"
#include "virgil.h"

#define EXPORT __attribute__((visibility("default")))

void add(const virgil_box *in, virgil_box *out);

EXPORT void *virgil_realloc(void *ptr, size_t size)
{
    return vg_realloc(ptr, size);
}

/* {"ok": {"abi": 2, "library": "future", "language": "c", "version": "9.0.0", "functions": []}} */
EXPORT void virgil_manifest(const virgil_box *in, virgil_box *out)
{
    mpl_writer w;
    (void)in;
    vg_reply_start(&w, NULL, out);
    vg_write_manifest(&w, 2, "future", "9.0.0", NULL, 0);
    vg_reply_finish(&w, out);
}

/* add(a: int, b: int) -> int, with one catch-all ArgumentError (no traceback) for bad input. */
EXPORT void add(const virgil_box *in, virgil_box *out)
{
    mpl_reader r;
    mpl_writer w;
    uint32_t count;
    int64_t a, b;
    vg_args_init(&r, in);
    bool valid = mpl_read_array(&r, &count) == MPL_OK && count == 2 &&
                 mpl_read_int(&r, &a) == MPL_OK && mpl_read_int(&r, &b) == MPL_OK &&
                 mpl_reader_remaining(&r) == 0 &&
                 !((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b));
    vg_reply_start(&w, NULL, out); /* the arguments are read: the reply may overwrite them */
    if (valid) {
        vg_write_ok(&w);
        mpl_write_int(&w, a + b);
    } else {
        vg_write_error(&w);
        vg_write_exception_head(&w, "virgil.ArgumentError",
                                "add: expected two ints whose sum fits int64", NULL, 0);
        mpl_write_nil(&w);
    }
    vg_reply_finish(&w, out);
}
