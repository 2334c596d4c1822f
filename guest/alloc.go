package guest

/*
#include <stddef.h>
#include <stdint.h>
void *virgil_realloc(void *ptr, size_t size);
void virgil_guest_counts(int64_t *allocs, int64_t *freed);
*/
import "C"

import (
	"unsafe"

	"github.com/virgilffi/virgil/uncurry"
)

// cAlloc is the guest's Allocator: its own virgil_realloc.
func cAlloc(p unsafe.Pointer, size uintptr) unsafe.Pointer {
	return C.virgil_realloc(p, C.size_t(size))
}

// ReadStats returns the allocation counters of this library's virgil_realloc.
func ReadStats() uncurry.Stats {
	var a, f C.int64_t
	C.virgil_guest_counts(&a, &f)
	return uncurry.Stats{Allocations: int64(a), Frees: int64(f), Live: int64(a) - int64(f)}
}
