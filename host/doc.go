// Package host loads Virgil libraries (shared libraries that follow cabi/ABI.md, written in Go,
// C, Rust, Haskell, ...) and calls their functions as if they were Go functions. It uses
// github.com/ebitengine/purego, not cgo, so programs using it build with CGO_ENABLED=0. Built
// with cgo, it uses it for one thing: the trampolines through which guests call back the Go
// functions passed to them are then cgo exports, which cost a callback less than purego's, which
// reflect on every call.
//
//	lib, err := host.Open("build/libconformance_c.so")
//	...
//	var sum int
//	err = lib.Call("add", &sum, 1, 2)               // by name
//	add, err := host.Func2[int, int, int](lib, "add") // typed, no reflection
//	sum, err = add(1, 2)
//
// A failure inside the library comes back as an *exceptions.Exception (use errors.As) with the
// guest's name, message, traceback frames and cause chain. Libraries are safe for concurrent use
// from many goroutines. A call lends the guest a scratch buffer from a per-library pool, so a
// small call crosses the boundary once and allocates nothing in the guest.
//
// A guest is never trusted: every reply box is checked before a byte of it is read or anything is
// freed (cabi/ABI.md section 2). A guest that could not allocate its reply gives virgil.OutOfMemory;
// a box that breaks the protocol (NULL with a length, a pointer without one, a pointer into the
// caller's own arguments or scratch buffer, which is never freed, a reply the guest did not write)
// gives virgil.ProtocolError; a reply larger than WithMaxReply (1 GiB by default), nested deeper
// than 512, or with an exception chain or traceback over the limits of section 11 gives
// virgil.LimitExceeded. Only the guest's own buffers go back to its virgil_realloc, once each.
//
// Go functions are passed as arguments like any other value (cabi/ABI.md section 15):
//
//	err = lib.Call("map_ints", &out, func(x int) int { return 2 * x }, []int{1, 2, 3})
//
// The guest calls them back through one set of trampolines per process and a generation-checked
// handle table (no purego callback per function), so passing a fresh closure to every call is
// fine. A function is valid until the call it was passed to returns, unless the guest retains it;
// an error it returns, or a panic, reaches the guest as an exception record with its Go frames.
// LiveClosures counts the functions guests can still call. Functions nested inside other
// arguments (in slices or structs) are not lowered.
//
// Large byte strings are lent, not copied (cabi/ABI.md section 16), to a library whose manifest
// declares "borrow" (every Go guest): a []byte or string argument of at least
// WithBorrowThreshold bytes (64 KiB by default), at the top level or in a []any or
// map[string]any, crosses as its address and length, pinned until the call returns, and the
// guest must not write to it. A reply may hold borrowed values too, from any library: views of
// the call's argument bytes or of a value lent to it. Each is checked before it is read (a range
// outside that memory, NULL with a length or one that wraps is virgil.ProtocolError, a length of
// 2^32 or more virgil.LimitExceeded) and copied into the result, so echoing 16 MiB costs one copy.
//
// Libraries are never unloaded: a Go guest is a second Go runtime, which cannot be unloaded, so
// Close only refuses further calls. Do not fork after opening a library.
package host
