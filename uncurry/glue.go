package uncurry

import (
	"regexp"
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

// inlinedWrapper matches this package's adapter closures after the compiler inlined them into
// the guest's package initialization, where they are named like main.init.Proc0.func1 or
// main.init.Func2E.core2[...].func1.
var inlinedWrapper = regexp.MustCompile(`\.((Func|Proc)[0-3]E?|core[0-3]|handler[0-3])(\[\.\.\.\])?\.func\d+$`)

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
	return inlinedWrapper.MatchString(f.Function)
}

// trimGlue returns x with the oldest frames of every level dropped while they are glue, so a
// traceback starts at the first frame of the user's own code. A level made only of glue keeps
// its frames. x itself is not changed (the function may have returned a shared value): the
// levels are copied.
func trimGlue(x *exceptions.Exception) *exceptions.Exception {
	if x == nil {
		return nil
	}
	trimmed := *x
	n := 0
	for n < len(trimmed.Traceback) && isGlue(trimmed.Traceback[n]) {
		n++
	}
	if n < len(trimmed.Traceback) {
		trimmed.Traceback = trimmed.Traceback[n:]
	}
	trimmed.Cause = trimGlue(x.Cause)
	return &trimmed
}
