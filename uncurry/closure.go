package uncurry

import (
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// ReleasedClosure is the name a closure's side replies with for a closure that is no longer
// valid; it is exceptions.ReleasedClosure.
const ReleasedClosure = exceptions.ReleasedClosure

// ClosureRuntime makes the crossings of closures received as arguments (cabi/ABI.md section 15).
// Calling a C function pointer needs cgo, which this package does without: package guest
// installs the runtime of Go guests with SetClosureRuntime.
type ClosureRuntime interface {
	// Call sends the encoded argument array args to c and passes the reply envelope to lift.
	// The reply is only valid during lift. Call frees it with c's realloc afterwards.
	Call(c codec.Closure, args []byte, lift func(reply []byte) error) error
	// Retain keeps c valid after the call it was passed to; Release gives up one retain.
	Retain(c codec.Closure)
	Release(c codec.Closure)
}

var closureRuntime atomic.Pointer[ClosureRuntime]

// SetClosureRuntime installs the runtime that calls, retains and releases closures.
func SetClosureRuntime(r ClosureRuntime) { closureRuntime.Store(&r) }

// CurrentClosureRuntime returns the installed runtime, or nil.
func CurrentClosureRuntime() ClosureRuntime {
	if r := closureRuntime.Load(); r != nil {
		return *r
	}
	return nil
}

// closurePanic carries the failure of a callback lifted into a function type without an error
// result out of the adapted function, so that it is replied as the function's own failure.
type closurePanic struct{ err error }

// LiftFunc returns a Go function of type t (a func type with results (), (R), (error) or
// (R, error)) that calls closure c: it lowers its arguments, makes the call through the installed
// ClosureRuntime and lifts the reply. A failure of the closure comes back as the
// *exceptions.Exception it replied (with the foreign frames and causes); a function type without
// an error result panics with it instead, and the exported function that received the closure
// then fails with that exception.
func LiftFunc(t reflect.Type, c codec.Closure) (reflect.Value, error) {
	if t.Kind() != reflect.Func {
		return reflect.Value{}, fmt.Errorf("uncurry: %s is not a function type", t)
	}
	result, hasErr, err := resultShape(t)
	if err != nil {
		return reflect.Value{}, err
	}
	if c.Call == 0 {
		return reflect.Value{}, fmt.Errorf("the closure has no call pointer")
	}
	rt := CurrentClosureRuntime()
	if rt == nil {
		return reflect.Value{}, fmt.Errorf("this program cannot call closures (no closure runtime is installed)")
	}
	if fn, ok := liftFast(t, rt, c); ok {
		return reflect.ValueOf(fn), nil
	}
	return makeFunc(t, result, hasErr, func(result any, args ...any) error {
		return CallClosure(rt, c, result, args...)
	}), nil
}

// CallClosure calls closure c through rt with args and lifts its result into result (a pointer,
// or nil to ignore it). Failures are *exceptions.Exception values.
func CallClosure(rt ClosureRuntime, c codec.Closure, result any, args ...any) error {
	return Invoke(func(encoded []byte, result any) error {
		return rt.Call(c, encoded, func(reply []byte) error {
			d := codec.GetDecoder(nil)
			defer codec.PutDecoder(d)
			return codec.DecodeReplyOf(d, "callback", reply, result)
		})
	}, "callback", result, args...)
}

// liftFuncArg lifts argument number i, a closure, into the function variable fp points to.
func (c *call) liftFuncArg(i int, fp reflect.Value) bool {
	var cl codec.Closure
	if err := c.dec.Decode(&cl); err != nil {
		c.argError(i, err)
		return false
	}
	fn, err := LiftFunc(fp.Elem().Type(), cl)
	if err != nil {
		c.fail(exceptions.Newf(exceptions.ArgumentError, "%s: argument %d: %v", c.label(), i, err))
		return false
	}
	fp.Elem().Set(fn)
	return true
}

// liftFast builds the common callback shapes without reflect.MakeFunc; ok is false for others.
func liftFast(t reflect.Type, rt ClosureRuntime, c codec.Closure) (fn any, ok bool) {
	switch t {
	case reflect.TypeFor[func(int64) (int64, error)]():
		return lift1E[int64, int64](rt, c), true
	case reflect.TypeFor[func(int) (int, error)]():
		return lift1E[int, int](rt, c), true
	case reflect.TypeFor[func(int64, int64) (int64, error)]():
		return lift2E[int64, int64, int64](rt, c), true
	case reflect.TypeFor[func(int, int) (int, error)]():
		return lift2E[int, int, int](rt, c), true
	case reflect.TypeFor[func(any) (any, error)]():
		return lift1E[any, any](rt, c), true
	}
	return nil, false
}

func lift1E[A, R any](rt ClosureRuntime, c codec.Closure) func(A) (R, error) {
	return func(a A) (R, error) {
		var r R
		err := CallClosure(rt, c, &r, a)
		return r, err
	}
}

func lift2E[A, B, R any](rt ClosureRuntime, c codec.Closure) func(A, B) (R, error) {
	return func(a A, b B) (R, error) {
		var r R
		err := CallClosure(rt, c, &r, a, b)
		return r, err
	}
}
