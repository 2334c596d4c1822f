package exceptions

import (
	"errors"
	"reflect"
)

// Is reports whether this level of the chain is target, for errors.Is. It is
// true when target is a sentinel registered (see [Register]) under e.Name, or
// when e was made by [From] in this process from an error that is target
// (==, the error's own Is method, or one of the errors joined with it).
// errors.Is walks the causes itself.
func (e *Exception) Is(target error) bool {
	if e == nil || target == nil {
		return false
	}
	if name, ok := sentinelName(target); ok && name == e.Name {
		return true
	}
	if e.orig == nil {
		return false
	}
	if same(e.orig, target) {
		return true
	}
	if x, ok := e.orig.(interface{ Is(error) bool }); ok && x.Is(target) {
		return true
	}
	for _, other := range joinedOthers(e.orig) {
		if errors.Is(other, target) {
			return true
		}
	}
	return false
}

// As finds, for errors.As, a value assignable to *target at this level: the
// original Go error e was made from by [From] in this process (or one of the
// errors joined with it). A decoded or hand-made Exception has no original
// error and As returns false; errors.As still matches the *Exception itself.
func (e *Exception) As(target any) bool {
	if e == nil || e.orig == nil || target == nil {
		return false
	}
	val := reflect.ValueOf(target)
	if val.Kind() != reflect.Pointer || val.IsNil() {
		return false
	}
	want := val.Type().Elem()
	if reflect.TypeOf(e.orig).AssignableTo(want) {
		val.Elem().Set(reflect.ValueOf(e.orig))
		return true
	}
	if x, ok := e.orig.(interface{ As(any) bool }); ok && x.As(target) {
		return true
	}
	for _, other := range joinedOthers(e.orig) {
		if errors.As(other, target) {
			return true
		}
	}
	return false
}

// same reports a == b without panicking on incomparable dynamic types.
func same(a, b error) (eq bool) {
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	return a == b
}

// joinedOthers returns the errors a multi-error (Unwrap() []error) wraps
// besides the first, which is its cause. They are only notes in the record.
func joinedOthers(err error) []error {
	if x, ok := err.(interface{ Unwrap() []error }); ok {
		if errs := nonNil(x.Unwrap()); len(errs) > 1 {
			return errs[1:]
		}
	}
	return nil
}
