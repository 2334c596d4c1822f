//go:build cgo

package host

/*
#include <stdint.h>

// Hidden: a program may hold more than one copy of this package (a Go host executable, and a
// Go guest that is itself a host), and each must take the address of its own trampolines, never
// another copy's. Go links c-shared libraries with -Bsymbolic, which binds their references
// locally already; hidden symbols also stay out of the executable's dynamic symbol table.
__attribute__((visibility("hidden"))) void virgilHostClosureCall(uintptr_t env, void *in, void *out);
__attribute__((visibility("hidden"))) void virgilHostClosureRetain(uintptr_t env);
__attribute__((visibility("hidden"))) void virgilHostClosureRelease(uintptr_t env);

static inline uintptr_t virgil_host_closure_call(void) { return (uintptr_t)virgilHostClosureCall; }
static inline uintptr_t virgil_host_closure_retain(void) { return (uintptr_t)virgilHostClosureRetain; }
static inline uintptr_t virgil_host_closure_release(void) { return (uintptr_t)virgilHostClosureRelease; }
*/
import "C"

import "unsafe"

// callbackWords returns the call, retain and release words of every closure: cgo exports, which
// C reaches without the reflection a purego callback makes on every call. Built without cgo,
// closures_purego.go makes them with purego; the host itself never needs cgo.
func callbackWords() (call, retain, release uintptr) {
	return uintptr(C.virgil_host_closure_call()), uintptr(C.virgil_host_closure_retain()), uintptr(C.virgil_host_closure_release())
}

//export virgilHostClosureCall
func virgilHostClosureCall(env C.uintptr_t, in, out unsafe.Pointer) {
	closureCall(uintptr(env), in, out)
}

//export virgilHostClosureRetain
func virgilHostClosureRetain(env C.uintptr_t) { closures.retain(uintptr(env)) }

//export virgilHostClosureRelease
func virgilHostClosureRelease(env C.uintptr_t) { closures.release(uintptr(env)) }
