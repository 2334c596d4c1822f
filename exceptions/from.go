package exceptions

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	pkgerrors "github.com/pkg/errors"
)

// maxWalkSteps bounds the walk down an error chain, counting the wrappers
// that contribute no level too, so that a cyclic chain ends.
const maxWalkSteps = 4 * MaxCauseDepth

// From converts a Go error to an exception, one level per error in its chain
// (see the package documentation for the rules). It returns nil for nil, and
// err itself when err is an *Exception. The outermost level gets the frames
// of From's caller as its traceback unless it carries a
// github.com/pkg/errors stack of its own; inner levels get only their own
// stacks. A chain longer than [MaxCauseDepth] (or a cyclic one) is cut off,
// with a note on the last level kept.
func From(err error) *Exception {
	if err == nil {
		return nil
	}
	if x, ok := err.(*Exception); ok {
		return x
	}
	top, needsFrames := convert(err)
	if needsFrames {
		tb, notes := captureCallers(1)
		top.Traceback = tb
		top.Notes = append(top.Notes, notes...)
	}
	return top
}

// FromReturned converts err as [From] does, for an error that the function
// at frame fn returned: when the outermost level carries no stack of its
// own, fn is its traceback (the user's function, where the caller's frames
// would only show the machinery that called it). Get fn once with
// [FuncFrame]. An *Exception without frames gets fn too, on a copy.
func FromReturned(err error, fn Frame) *Exception {
	if err == nil {
		return nil
	}
	if x, ok := err.(*Exception); ok {
		if len(x.Traceback) == 0 && fn.Function != "" {
			c := *x
			c.Traceback = []Frame{fn}
			return &c
		}
		return x
	}
	top, needsFrames := convert(err)
	if needsFrames && fn.Function != "" {
		top.Traceback = []Frame{fn}
	}
	return top
}

// convert builds the exception chain for err (not nil). needsFrames reports
// that the outermost level was made from a Go error without a stack, so the
// caller should give it its own frames.
func convert(err error) (top *Exception, needsFrames bool) {
	var levels []*Exception
	var kinds []levelKind
	var pending []uintptr // the stack of a dropped pure-stack wrapper
	truncated := false
	cur, text := err, safeText(err)
	for steps := 0; cur != nil; steps++ {
		if len(levels) == MaxCauseDepth || steps == maxWalkSteps {
			truncated = true
			break
		}
		if x, ok := cur.(*Exception); ok {
			n := len(levels)
			levels, truncated = appendCopies(levels, x)
			for range len(levels) - n {
				kinds = append(kinds, named)
			}
			break
		}
		cause, others := unwrapOne(cur)
		causeText := ""
		if cause != nil {
			causeText = safeText(cause)
		}
		own := stackOf(cur)
		if own != nil && cause != nil && others == nil && text == causeText && !hasOwnName(cur) {
			// A pure stack wrapper: no level of its own, its stack goes
			// to the level below (unless that one has its own).
			pending = own
			cur, text = cause, causeText
			continue
		}
		if own == nil {
			own = pending
		}
		pending = nil
		kind := kindOfLevel(cur)
		lvl := &Exception{Language: Language, orig: cur}
		if kind == annotating && cause != nil && others == nil && isLeaf(cause) {
			// *fs.PathError over an errno: one level, named by the errno.
			lvl.Name, lvl.Message, lvl.merged = nameOf(cause), text, cause
			lvl.Attributes = osAttributes(cur, cause)
			kind, cause = named, nil
		} else {
			lvl.Name = nameOf(cur)
			lvl.Message = ownMessage(text, causeText, others)
			if kind == named {
				lvl.Attributes = ownAttributes(cur)
			}
		}
		if own != nil {
			lvl.Traceback = framesOf(own)
		} else if len(levels) == 0 {
			needsFrames = true
		}
		for _, o := range others {
			lvl.Notes = append(lvl.Notes, "also: "+safeText(o))
		}
		levels, kinds = append(levels, lvl), append(kinds, kind)
		cur, text = cause, causeText
	}
	if len(levels) == 0 {
		// Only a cycle made of nothing but stack wrappers gets here.
		levels = append(levels, &Exception{Name: Plain, Message: safeText(err), Language: Language, orig: err})
		kinds = append(kinds, named)
		needsFrames = true
	}
	// A wrapper is named like the level below it; the innermost one, with
	// nothing below, and a plain error are Exception.
	for i := len(levels) - 1; i >= 0; i-- {
		switch kinds[i] {
		case plain:
			levels[i].Name = Plain
		case transparent, annotating:
			levels[i].Name = Plain
			if i+1 < len(levels) {
				levels[i].Name = levels[i+1].Name
			}
		}
	}
	last := levels[len(levels)-1]
	if truncated {
		last.Notes = append(slices.Clip(last.Notes),
			fmt.Sprintf("cause chain truncated after %d levels", len(levels)))
	}
	for i := 0; i+1 < len(levels); i++ {
		levels[i].Cause = levels[i+1]
	}
	// A copy of an Exception still points at the original's cause; the
	// copies are linked above, and a chain cut off ends here.
	last.Cause = nil
	return levels[0], needsFrames
}

// isLeaf reports whether err wraps nothing.
func isLeaf(err error) bool {
	cause, _ := unwrapOne(err)
	return cause == nil
}

// appendCopies appends shallow copies of x and its causes to levels, as long
// as the chain stays within MaxCauseDepth, and reports whether it had to
// stop. A chain is copied rather than linked so that cutting it off, or
// linking it, never changes an exception someone else holds.
func appendCopies(levels []*Exception, x *Exception) ([]*Exception, bool) {
	for ; x != nil; x = x.Cause {
		if len(levels) == MaxCauseDepth {
			return levels, true
		}
		c := *x
		c.orig = x // identity: errors.Is(copy, x), and x's own original error
		levels = append(levels, &c)
	}
	return levels, false
}

// unwrapOne returns the error err wraps (Unwrap() error, else pkg/errors'
// Cause() error, else the first of Unwrap() []error) and, for a
// multi-error, the others it wraps.
func unwrapOne(err error) (cause error, others []error) {
	defer func() {
		if recover() != nil {
			cause, others = nil, nil
		}
	}()
	switch x := err.(type) {
	case interface{ Unwrap() error }:
		cause = x.Unwrap()
	case interface{ Cause() error }:
		cause = x.Cause()
	case interface{ Unwrap() []error }:
		if errs := nonNil(x.Unwrap()); len(errs) > 0 {
			cause, others = errs[0], errs[1:]
		}
	}
	if isNilError(cause) {
		return nil, nil
	}
	if len(others) == 0 {
		others = nil
	}
	return cause, others
}

// nonNil returns errs without its nil (or typed-nil) entries.
func nonNil(errs []error) []error {
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		if !isNilError(e) {
			out = append(out, e)
		}
	}
	return out
}

// isNilError reports whether err is nil or a nil pointer (map, func, ...) in
// a non-nil interface, which is no error at all as a cause.
func isNilError(err error) bool {
	if err == nil {
		return true
	}
	v := reflect.ValueOf(err)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// ownMessage returns the part of a level's text that is its own: without
// the ": " + cause text suffix, empty when the text is just its cause's (or
// its joined errors') text, else the whole text. causeText is "" when there
// is no cause.
func ownMessage(text, causeText string, others []error) string {
	if len(others) > 0 {
		texts := []string{causeText}
		for _, o := range others {
			texts = append(texts, safeText(o))
		}
		if text == strings.Join(texts, "\n") {
			return ""
		}
	}
	switch {
	case causeText == "":
		return text
	case text == causeText:
		return ""
	case strings.HasSuffix(text, ": "+causeText):
		return text[:len(text)-len(causeText)-2]
	}
	return text
}

// stackOf returns the github.com/pkg/errors stack err itself carries
// (innermost call first, as runtime.Callers returns it), or nil.
func stackOf(err error) (pcs []uintptr) {
	x, ok := err.(interface{ StackTrace() pkgerrors.StackTrace })
	if !ok {
		return nil
	}
	defer func() {
		if recover() != nil {
			pcs = nil
		}
	}()
	st := x.StackTrace()
	if len(st) == 0 {
		return nil
	}
	pcs = make([]uintptr, len(st))
	for i, f := range st {
		pcs[i] = uintptr(f)
	}
	return pcs
}

// safeText returns err.Error(), or a description when Error panics (a nil
// receiver, say), so that converting an error never panics.
func safeText(err error) (text string) {
	defer func() {
		if r := recover(); r != nil {
			text = fmt.Sprintf("%T (its Error method panicked: %v)", err, r)
		}
	}()
	return err.Error()
}

// safeName returns x.ExceptionName(), or "" when it panics.
func safeName(x interface{ ExceptionName() string }) (name string) {
	defer func() {
		if recover() != nil {
			name = ""
		}
	}()
	return x.ExceptionName()
}
