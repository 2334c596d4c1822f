package uncurry

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"
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
	fn, err := liftFunc(t, c)
	if err != nil {
		return reflect.Value{}, err
	}
	return reflect.ValueOf(fn), nil
}

// liftFunc is LiftFunc returning the function as an interface value, which a typed caller
// asserts to its type without reflection.
func liftFunc(t reflect.Type, c codec.Closure) (any, error) {
	if t.Kind() != reflect.Func {
		return nil, fmt.Errorf("uncurry: %s is not a function type", t)
	}
	result, hasErr, err := resultShape(t)
	if err != nil {
		return nil, err
	}
	rt, err := runtimeFor(c)
	if err != nil {
		return nil, err
	}
	if fn, ok := liftFast(t, rt, c); ok {
		return fn, nil
	}
	return makeFunc(t, result, hasErr, func(result any, args ...any) error {
		return CallClosure(rt, c, result, args...)
	}).Interface(), nil
}

// runtimeFor returns the runtime that calls closure c, or why c cannot be called.
func runtimeFor(c codec.Closure) (ClosureRuntime, error) {
	if c.Call == 0 {
		return nil, fmt.Errorf("the closure has no call pointer")
	}
	rt := CurrentClosureRuntime()
	if rt == nil {
		return nil, fmt.Errorf("this program cannot call closures (no closure runtime is installed)")
	}
	return rt, nil
}

// CallClosure calls closure c through rt with args and lifts its result into result (a pointer,
// or nil to ignore it). Failures are *exceptions.Exception values.
func CallClosure(rt ClosureRuntime, c codec.Closure, result any, args ...any) error {
	st := getClosureCall(len(args))
	defer putClosureCall(st)
	for i, v := range args {
		if err := st.enc.Encode(v); err != nil {
			return st.lowerError(i, v, err)
		}
	}
	return st.send(rt, c, result)
}

// closureCall is the pooled memory of one call of a closure: the argument array and its encoder,
// the reply decoder, and the result the reply is lifted into, through lift, a method value bound
// once so that a call makes no closure for it.
type closureCall struct {
	args   bytes.Buffer
	enc    *codec.Encoder
	dec    *codec.Decoder
	result any
	lift   func(reply []byte) error
	// The results of the common types are lifted here (sendFor).
	i64 int64
	int int
	f64 float64
}

var closureCalls = sync.Pool{New: func() any {
	st := &closureCall{dec: codec.NewDecoder(nil)}
	st.enc = codec.NewEncoder(&st.args)
	st.lift = st.liftReply
	return st
}}

// getClosureCall returns a pooled closureCall whose argument array of n elements is begun.
func getClosureCall(n int) *closureCall {
	st := closureCalls.Get().(*closureCall)
	st.args.Reset()
	st.args.Write(codec.AppendArrayHeader(st.args.AvailableBuffer(), n))
	return st
}

func putClosureCall(st *closureCall) {
	if st.args.Cap() > codec.MaxPooledArgs {
		st.args = bytes.Buffer{}
	}
	st.dec.Reset(nil)
	closureCalls.Put(st)
}

// send calls c through rt with the argument array written and lifts the reply into result.
func (st *closureCall) send(rt ClosureRuntime, c codec.Closure, result any) error {
	st.result = result
	defer func() { st.result = nil }()
	return rt.Call(c, st.args.Bytes(), st.lift)
}

func (st *closureCall) liftReply(reply []byte) error {
	return codec.DecodeReplyOf(st.dec, "callback", reply, st.result)
}

// lowerError is the failure to lower argument number i (from 0) of a callback.
func (st *closureCall) lowerError(i int, v any, err error) error {
	return exceptions.Newf(exceptions.ArgumentError, "callback: argument %d (%T) cannot be lowered: %v", i+1, v, err)
}

// lowerArg appends argument number i (from 0), a, to the argument array: the common scalars
// directly, without boxing them, anything else with the Encoder.
func lowerArg[A any](st *closureCall, i int, a A) error {
	b := st.args.AvailableBuffer()
	switch v := any(a).(type) {
	case int64:
		b = codec.AppendInt(b, v)
	case int:
		b = codec.AppendInt(b, int64(v))
	case float64:
		b = codec.AppendFloat64(b, v)
	case bool:
		b = codec.AppendBool(b, v)
	default:
		if err := st.enc.Encode(a); err != nil {
			return st.lowerError(i, a, err)
		}
		return nil
	}
	st.args.Write(b)
	return nil
}

// liftFuncArg lifts argument number i, a closure, into a function of type t.
func (c *call) liftFuncArg(i int, t reflect.Type) (any, bool) {
	cl, ok := c.closureArg(i)
	if !ok {
		return nil, false
	}
	fn, err := liftFunc(t, cl)
	if err != nil {
		c.fail(exceptions.Newf(exceptions.ArgumentError, "%s: argument %d: %v", c.label(), i, err))
		return nil, false
	}
	return fn, true
}

// closureArg reads argument number i, a closure.
func (c *call) closureArg(i int) (codec.Closure, bool) {
	var cl codec.Closure
	if _, err := c.dec.DecodeScalar(&cl); err != nil {
		c.argError(i, err)
		return cl, false
	}
	return cl, true
}

// liftTypedArg lifts argument number i into *p without reflection when p points to one of the
// function types liftFast builds (handled); it reads nothing for any other type.
func liftTypedArg[T any](c *call, i int, p *T) (handled, ok bool) {
	switch q := any(p).(type) {
	case *func(int64) (int64, error):
		return true, liftInto(c, i, q, lift1E[int64, int64])
	case *func(int) (int, error):
		return true, liftInto(c, i, q, lift1E[int, int])
	case *func(int64, int64) (int64, error):
		return true, liftInto(c, i, q, lift2E[int64, int64, int64])
	case *func(int, int) (int, error):
		return true, liftInto(c, i, q, lift2E[int, int, int])
	case *func(any) (any, error):
		return true, liftInto(c, i, q, lift1E[any, any])
	}
	return false, false
}

// liftInto lifts argument number i, a closure, into *p with lift.
func liftInto[F any](c *call, i int, p *F, lift func(ClosureRuntime, codec.Closure) F) bool {
	cl, ok := c.closureArg(i)
	if !ok {
		return false
	}
	rt, err := runtimeFor(cl)
	if err != nil {
		c.fail(exceptions.Newf(exceptions.ArgumentError, "%s: argument %d: %v", c.label(), i, err))
		return false
	}
	*p = lift(rt, cl)
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
		st := getClosureCall(1)
		defer putClosureCall(st)
		var r R
		if err := lowerArg(st, 0, a); err != nil {
			return r, err
		}
		return sendFor[R](st, rt, c)
	}
}

func lift2E[A, B, R any](rt ClosureRuntime, c codec.Closure) func(A, B) (R, error) {
	return func(a A, b B) (R, error) {
		st := getClosureCall(2)
		defer putClosureCall(st)
		var r R
		if err := lowerArg(st, 0, a); err != nil {
			return r, err
		}
		if err := lowerArg(st, 1, b); err != nil {
			return r, err
		}
		return sendFor[R](st, rt, c)
	}
}

// sendFor calls c with the argument array written and returns its result. A result of type
// int64, int or float64 is lifted into st, not into a variable of its own that would be
// allocated (the pointer to it is kept in st while the call is under way).
func sendFor[R any](st *closureCall, rt ClosureRuntime, c codec.Closure) (R, error) {
	var zero R
	switch any(zero).(type) {
	case int64:
		st.i64 = 0
		err := st.send(rt, c, &st.i64)
		return any(st.i64).(R), err
	case int:
		st.int = 0
		err := st.send(rt, c, &st.int)
		return any(st.int).(R), err
	case float64:
		st.f64 = 0
		err := st.send(rt, c, &st.f64)
		return any(st.f64).(R), err
	}
	r := new(R)
	err := st.send(rt, c, r)
	return *r, err
}
