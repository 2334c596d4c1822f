package uncurry

import (
	"regexp"
	"slices"
	"strings"

	"github.com/virgilffi/virgil/exceptions"
)

// glueFunctionPrefixes are the frames of Virgil's own machinery between the C entry point and the
// adapted function: cgo's export trampolines, package guest, this package, and the host when a
// Go guest is itself a host of another library.
var glueFunctionPrefixes = []string{
	"runtime.cgocallback",
	"runtime/cgo.",
	"crosscall2",
	"github.com/virgilffi/virgil/guest.",
	"github.com/virgilffi/virgil/uncurry.",
	"github.com/virgilffi/virgil/host.",
	"github.com/virgilffi/virgil/codec.",
	"github.com/virgilffi/virgil/exceptions.",
}

// inlinedWrapper matches this package's adapter closures after the compiler inlined them into
// the guest's package initialization, where they are named like main.init.Proc0.func1 or
// main.init.Func2E.core2[...].func1.
var inlinedWrapper = regexp.MustCompile(`\.init(\.\d+)?\.(.*\.)?((Func|Proc)[0-3]E?|core[0-3]|handler[0-3])(\[\.\.\.\])?\.func\d+$`)

// isGlue reports whether f is a frame of the machinery that called the adapted function,
// including the wrappers virgil-gen writes into virgil_exports.go (cabi/ABI.md section 6: glue
// frames never appear).
func isGlue(f exceptions.Frame) bool {
	if strings.HasSuffix(f.File, "virgil_exports.go") || strings.HasSuffix(f.File, "_cgo_gotypes.go") ||
		strings.Contains(f.Function, "._cgoexp_") || strings.HasPrefix(f.Function, "_cgoexp_") {
		return true
	}
	for _, p := range glueFunctionPrefixes {
		if strings.HasPrefix(f.Function, p) {
			return true
		}
	}
	return inlinedWrapper.MatchString(f.Function)
}

// trimGlue returns x with the glue frames of every Go level dropped, wherever they are, so a
// traceback shows only the user's own code; a level raised by the glue itself (a framework
// error) is left without frames. x itself is not changed (the function may have returned a
// shared value): the levels are copied.
func trimGlue(x *exceptions.Exception) *exceptions.Exception {
	if x == nil {
		return nil
	}
	trimmed := *x
	if x.Language == exceptions.Language && slices.ContainsFunc(x.Traceback, isGlue) {
		trimmed.Traceback = slices.DeleteFunc(slices.Clone(x.Traceback), isGlue)
		if len(trimmed.Traceback) == 0 {
			trimmed.Traceback = nil
		}
	}
	trimmed.Cause = trimGlue(x.Cause)
	return &trimmed
}
