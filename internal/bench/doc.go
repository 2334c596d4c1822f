// Package bench holds the side-by-side benchmarks `make bench` runs and internal/benchreport turns
// into one table: a call of add(1, 2) through cgo, through purego on a plain C function, through
// the raw Virgil crossing, lib.Call, a typed binding and a closure, and over HTTP with JSON; byte
// payloads against a copy; a realistic record call; and calls per second by goroutines. Every
// benchmark uses the public API of package host only, so it measures what a user gets.
//
// The benchmarks live in the package's tests; the one non-test file is the cgo baseline (cgo is
// not allowed in test files), which a build without cgo replaces by a stub the benchmark skips.
package bench
