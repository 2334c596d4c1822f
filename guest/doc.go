// Package guest exports Go functions from a library built with go build -buildmode=c-shared, so
// that any Virgil host (Go, Python, C, ...) can call them under the ABI of cabi/ABI.md.
//
// A guest is a package main with one declaration per function, a go:generate line, and nothing
// else Virgil-specific:
//
//	//go:generate go run github.com/virgilffi/virgil/cmd/virgil-gen
//	//virgil:library conformance 1.0.0
//	package main
//
//	// Add returns the sum of a and b.
//	//
//	//virgil:export
//	func Add(a, b int) int { return a + b }
//
//	func main() {}
//
// virgil-gen writes virgil_exports.go, which gives every exported function its own C symbol
// (here "add", the snake_case of its Go name, or the name after //virgil:export) and registers it
// with [Export]. This package supplies the rest of the ABI: virgil_realloc (counted, for leak
// tests), virgil_manifest (names, parameter names and types, result types and doc comments) and
// virgil_stats. Every entry point recovers panics, replies go into the caller's scratch buffer
// when they fit, and nothing the guest returns points into Go memory.
//
// Functions as parameters (cabi/ABI.md section 15): a parameter of function type, such as
// f func(int) (int, error), receives the caller's function (a Python callable, a Go func, ...).
// Calling f crosses back to the caller; an error or exception of the caller's comes back as an
// *exceptions.Exception with its name, message, the caller's frames and causes (a function type
// without an error result panics with it instead, and the exported function then fails with it).
// f is valid only during the call it was passed to: called later it fails with
// virgil.ReleasedClosure. To keep a function, take a [Func] and Retain it before returning:
//
//	var saved guest.Func[func(int) (int, error)]
//
//	//virgil:export
//	func Subscribe(f guest.Func[func(int) (int, error)]) { f.Retain(); saved = f }
//
//	// later: saved.Fn(42), and saved.Release() once when done
//
// Rules for Go guests (cabi/ABI.md section 12): a host must never dlclose a Go guest, and a
// process must not fork after loading one.
//
// Borrowed bytes (cabi/ABI.md section 16): a Go guest's manifest declares "borrow", so a host may
// lend a large byte string or string argument instead of copying it into the arguments. A []byte
// parameter may then be a view of the caller's memory, valid during the call only, as the slice
// given to io.Writer.Write: the function may read it, must not write to it, and must copy it
// (bytes.Clone) before keeping it after it returns, in a global, a goroutine still running or a
// retained closure. Strings are always copies (checked UTF-8), and so are byte strings inside
// lists, maps and structs. A []byte result that lies inside memory the caller lent to the call
// (the argument itself, or a slice of it) is replied as a view of it, which the caller checks and
// copies, so echoing a large argument costs no copy in the guest. Broken borrowed values are
// refused before a byte is read: a payload that is not two words or a str that is not UTF-8 is
// virgil.ArgumentError, a length of 2^32 or more virgil.LimitExceeded, NULL with a length or a
// range that wraps virgil.ProtocolError. Closures never borrow.
//
// A hostile or broken host gets an error reply, never a crash, for every fault a guest can see
// (cabi/conformance/hostile.json): no argument box, or {NULL, 0}, is virgil.ArgumentError; an
// argument box of {NULL, n} or of an impossible length is virgil.ProtocolError; garbage,
// truncated, wrongly typed or invalid arguments (a str that is not UTF-8, a bad timestamp, a
// duplicate map key) are virgil.ArgumentError; an argument nested deeper than 512 levels is
// virgil.LimitExceeded. With no out box there is nowhere to reply and the call returns at once. A
// closure's reply is checked like a host checks a reply (cabi/ABI.md section 2) before it is read
// or freed.
//
// Symbols: a library built with go build -buildmode=c-shared exports its functions,
// virgil_realloc, virgil_manifest and virgil_stats, and the symbols the Go toolchain gives every
// c-shared library and offers no way to hide (crosscall1, crosscall2, x_crosscall2_ptr, fatalf,
// _cgo_* and x_cgo_* of runtime/cgo, and cmd/cgo's _cgoexp_* trampolines and _cgo_*_Cfunc_*
// wrappers). This package's own C helpers are hidden (visibility("hidden") or static inline).
// Hosts call none of the toolchain's symbols: only the manifest's functions and virgil_*
// (cabi/ABI.md section 12). cmd/virgil-gen's TestSymbolHygiene checks the list with nm.
package guest
