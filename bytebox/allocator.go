package bytebox

import "unsafe"

// Allocator has the semantics of the ABI's virgil_realloc: Allocator(nil, n) allocates n bytes,
// Allocator(p, n) resizes p, Allocator(p, 0) frees p and returns nil. It returns nil when memory
// cannot be had. A guest's replies must come from its own Allocator, and only from it.
type Allocator func(ptr unsafe.Pointer, size uintptr) unsafe.Pointer
