// virgil_realloc for Go guests: the C allocator, counted so leak tests can see live buffers.
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

static atomic_llong allocations;
static atomic_llong frees;

__attribute__((visibility("default"))) void *virgil_realloc(void *ptr, size_t size) {
    if (size == 0) {
        if (ptr != NULL) {
            atomic_fetch_add(&frees, 1);
            free(ptr);
        }
        return NULL;
    }
    void *p = realloc(ptr, size);
    if (ptr == NULL && p != NULL) {
        atomic_fetch_add(&allocations, 1);
    }
    return p;
}

/* Read by package guest through cgo; hidden, so it is not part of the library's exports. */
__attribute__((visibility("hidden"))) void virgil_guest_counts(int64_t *allocs, int64_t *freed) {
    /* Frees first: a buffer freed between the two reads is then counted as allocated too, so
     * live = allocs - freed never goes negative. */
    *freed = atomic_load(&frees);
    *allocs = atomic_load(&allocations);
}
