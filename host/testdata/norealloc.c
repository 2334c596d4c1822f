/*
 * norealloc.c: a library that exports a function but not virgil_realloc, which every guest
 * must (cabi/ABI.md section 2).  The Go host's tests open it and expect a clear error: without
 * the guest's allocator the host could never free a reply.
 *
 * Build it alone, from the repository root:
 *     gcc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -I cabi \
 *         -o build/norealloc.so host/testdata/norealloc.c
 */
#include "virgil.h"

#include <string.h>

void add(const virgil_box *in, virgil_box *out);

/* Replies {"ok": 0}, in the scratch buffer when there is one.  Otherwise it points `out` at a
 * static buffer, which no host may free: one more reason a host must refuse this library
 * before calling anything. */
__attribute__((visibility("default"))) void add(const virgil_box *in, virgil_box *out)
{
    static uint8_t reply[] = {0x81, 0xa2, 'o', 'k', 0x00};
    (void)in;
    if (out->ptr != NULL && out->len >= sizeof reply) {
        memcpy(out->ptr, reply, sizeof reply);
    } else {
        out->ptr = reply;
    }
    out->len = sizeof reply;
}
