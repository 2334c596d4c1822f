//go:build cgo

package bench

/*
#include <stdint.h>

__attribute__((noinline)) static int64_t add(int64_t a, int64_t b) { return a + b; }
*/
import "C"

// cgoEnabled reports whether cgoAdd calls C (the package was built with cgo).
const cgoEnabled = true

// cgoAdd calls a C add linked into the test binary through cgo: the cheapest foreign call Go has.
func cgoAdd(a, b int64) int64 { return int64(C.add(C.int64_t(a), C.int64_t(b))) }
