package exceptions

import (
	"errors"
	"io/fs"
	"reflect"
	"syscall"
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
	if errno, ok := e.errnoOrImplied(); ok {
		if t, isErrno := target.(syscall.Errno); isErrno {
			return t == syscall.Errno(errno)
		}
		if syscall.Errno(errno).Is(target) {
			return true
		}
	}
	if e.merged != nil && (same(e.merged, target) || errors.Is(e.merged, target)) {
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
// errors joined with it). For a level from another language or process,
// which has no original, a level with an errno attribute reads as a
// syscall.Errno and, with a filename too, as an *fs.PathError; errors.As
// always matches the *Exception itself.
func (e *Exception) As(target any) bool {
	if e == nil || target == nil {
		return false
	}
	val := reflect.ValueOf(target)
	if val.Kind() != reflect.Pointer || val.IsNil() {
		return false
	}
	want := val.Type().Elem()
	if e.orig == nil {
		return e.asOS(val.Elem(), want)
	}
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

// asOS sets v (of type want) to the Go form of a foreign level's errno and
// filename: a syscall.Errno, or an *fs.PathError whose Op is the name.
func (e *Exception) asOS(v reflect.Value, want reflect.Type) bool {
	errno, ok := e.Errno()
	if !ok {
		return false
	}
	var native error = syscall.Errno(errno)
	if filename := e.Filename(); filename != "" && !reflect.TypeOf(native).AssignableTo(want) {
		// The operation is not on the wire; the name stands in for it, so
		// Error() reads "FileNotFoundError /etc/app.toml: no such file or
		// directory".
		native = &fs.PathError{Op: e.Name, Path: filename, Err: syscall.Errno(errno)}
	}
	if !reflect.TypeOf(native).AssignableTo(want) {
		return false
	}
	v.Set(reflect.ValueOf(native))
	return true
}

// errnoOrImplied returns the level's errno attribute or, without one, the
// one errno its standard name stands for (a hand-raised Python
// ConnectionRefusedError is ECONNREFUSED).
func (e *Exception) errnoOrImplied() (int, bool) {
	if n, ok := e.Errno(); ok {
		return n, true
	}
	errno, ok := impliedErrno[e.Name]
	return int(errno), ok
}
