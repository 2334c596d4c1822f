/*
 * nomanifest.c: the smallest Virgil library, as a hand-written C guest may be: virgil_realloc and
 * one function, `nothing() -> nil`, and no virgil_manifest.  The Go host's tests use it to check
 * that, without a manifest, it still refuses symbols the library does not define itself (libc's
 * `puts`, which dlsym finds through the library's dependencies).
 *
 *     gcc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -I cabi -o build/nomanifest.so \
 *         host/testdata/nomanifest.c
 */
#include "virgil.h"

#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT void *virgil_realloc(void *ptr, size_t size)
{
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

/* nothing() -> nil: replies {"ok": nil} whatever its arguments. */
EXPORT void nothing(const virgil_box *in, virgil_box *out)
{
    static const uint8_t reply[] = {0x81, 0xa2, 'o', 'k', 0xc0};
    (void)in;
    if (out->ptr == NULL || out->len < sizeof reply) {
        out->ptr = virgil_realloc(NULL, sizeof reply);
        if (out->ptr == NULL) {
            out->len = 0;
            return;
        }
    }
    memcpy(out->ptr, reply, sizeof reply);
    out->len = sizeof reply;
}
