//go:build !cgo

package bench

// cgoEnabled reports whether cgoAdd calls C: not in a build without cgo, where the cgo benchmark
// skips.
const cgoEnabled = false

// cgoAdd is never called without cgo (the benchmark skips first).
func cgoAdd(a, b int64) int64 { panic("bench: cgoAdd called in a build without cgo") }
