package uncurry

import (
	"strings"

	"github.com/virgilffi/virgil/exceptions"
)

// glueFunctionPrefixes are the frames of Virgil's own machinery between the C entry point and the
// adapted function: cgo's export trampolines, package guest, this package.
var glueFunctionPrefixes = []string{
	"_cgoexp_",
	"runtime.cgocallback",
	"github.com/virgilffi/virgil/guest.",
	"github.com/virgilffi/virgil/uncurry.",
}

// isGlue reports whether f is a frame of the machinery that called the adapted function,
// including the wrappers virgil-gen writes into virgil_exports.go.
func isGlue(f exceptions.Frame) bool {
	if strings.HasSuffix(f.File, "virgil_exports.go") || strings.HasSuffix(f.File, "_cgo_gotypes.go") {
		return true
	}
	for _, p := range glueFunctionPrefixes {
		if strings.HasPrefix(f.Function, p) {
			return true
		}
	}
	return false
}

// trimGlue drops the oldest frames of every level of x while they are glue, so a traceback starts
// at the first frame of the user's own code. A level made only of glue keeps its frames.
func trimGlue(x *exceptions.Exception) *exceptions.Exception {
	for level := x; level != nil; level = level.Cause {
		n := 0
		for n < len(level.Traceback) && isGlue(level.Traceback[n]) {
			n++
		}
		if n < len(level.Traceback) {
			level.Traceback = level.Traceback[n:]
		}
	}
	return x
}
