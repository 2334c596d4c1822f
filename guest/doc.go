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
// Rules for Go guests (cabi/ABI.md section 12): a host must never dlclose a Go guest, and a
// process must not fork after loading one.
package guest
