package uncurry

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// Caller calls a function by value: it lowers args, makes the call and lifts the result into
// result (a pointer, or nil to ignore it). Failures are *exceptions.Exception values. Typed
// bindings (Typed2, Bind, ...) are built over a Caller; host.Function.Call is one.
type Caller func(result any, args ...any) error

// ByteCaller calls a function by bytes: it sends the encoded argument array args and lifts the
// reply envelope into result. Invoke and Over build a Caller from one.
type ByteCaller func(args []byte, result any) error

// argBuffers pools the buffers Invoke appends argument arrays to.
var argBuffers = sync.Pool{New: func() any { return new([]byte) }}

// Over returns a Caller that lowers its arguments and calls call, naming the function name in
// its errors.
func Over(name string, call ByteCaller) Caller {
	return func(result any, args ...any) error { return Invoke(call, name, result, args...) }
}

// Invoke lowers args, calls call and lifts the reply into result (which may be nil to ignore it).
// Errors are *exceptions.Exception values: the guest's, or virgil.ArgumentError when an argument
// cannot be lowered.
func Invoke(call ByteCaller, name string, result any, args ...any) error {
	p := argBuffers.Get().(*[]byte)
	b, err := AppendArgs((*p)[:0], name, args)
	if err == nil {
		err = call(b, result)
	}
	if cap(b) <= codec.MaxPooledArgs {
		*p = b[:0]
		argBuffers.Put(p)
	}
	return err
}

// LowerArgs writes the argument array of a call of function name to enc. An argument that
// cannot be lowered gives virgil.ArgumentError naming it.
func LowerArgs(enc *codec.Encoder, name string, args []any) error {
	if err := enc.EncodeArrayHeader(len(args)); err != nil {
		return err
	}
	for i, v := range args {
		if err := enc.Encode(v); err != nil {
			return LowerError(name, i+1, v, err)
		}
	}
	return nil
}

// AppendArgs appends the argument array of a call of function name to b (codec.AppendAny). An
// argument that cannot be lowered gives virgil.ArgumentError naming it, as LowerArgs does.
func AppendArgs(b []byte, name string, args []any) ([]byte, error) {
	return AppendArgsLending(b, name, args, nil)
}

// AppendArgsLending is AppendArgs lending through l the values l lends (codec.AppendLending,
// cabi/ABI.md section 16); a nil l lends nothing.
func AppendArgsLending(b []byte, name string, args []any, l codec.Lending) ([]byte, error) {
	b = codec.AppendArrayHeader(b, len(args))
	for i, v := range args {
		var err error
		if b, err = AppendArg(b, name, i+1, v, l); err != nil {
			return b, err
		}
	}
	return b, nil
}

// AppendArg appends argument number i (from 1) of a call of function name to b, lending through
// l what l lends; a value that cannot be lowered gives virgil.ArgumentError naming it.
func AppendArg(b []byte, name string, i int, v any, l codec.Lending) ([]byte, error) {
	b, err := codec.AppendLending(b, v, l)
	if err != nil {
		return b, LowerError(name, i, v, err)
	}
	return b, nil
}

// LowerError is the virgil.ArgumentError of argument number i (from 1), v, of a call of function
// name that could not be lowered because of err.
func LowerError(name string, i int, v any, err error) error {
	return exceptions.Newf(exceptions.ArgumentError, "%s: argument %d (%T) cannot be lowered: %v", name, i, v, err)
}

// Typed0 returns a typed function of no parameters that calls through call.
func Typed0[R any](call Caller) func() (R, error) {
	return func() (R, error) {
		var r R
		err := call(&r)
		return r, err
	}
}

// Typed1 returns a typed function of one parameter that calls through call.
func Typed1[A, R any](call Caller) func(A) (R, error) {
	return func(a A) (R, error) {
		var r R
		err := call(&r, a)
		return r, err
	}
}

// Typed2 returns a typed function of two parameters that calls through call.
func Typed2[A, B, R any](call Caller) func(A, B) (R, error) {
	return func(a A, b B) (R, error) {
		var r R
		err := call(&r, a, b)
		return r, err
	}
}

// Typed3 returns a typed function of three parameters that calls through call.
func Typed3[A, B, C, R any](call Caller) func(A, B, C) (R, error) {
	return func(a A, b B, c C) (R, error) {
		var r R
		err := call(&r, a, b, c)
		return r, err
	}
}

// Bind sets *fnPtr, a variable of any function type whose last result is error, to a function
// that lowers its arguments, calls through call and lifts the result:
//
//	var add func(a, b int) (int, error)
//	uncurry.Bind(&add, call)
func Bind(fnPtr any, call Caller) error {
	p := reflect.ValueOf(fnPtr)
	if p.Kind() != reflect.Pointer || p.Elem().Kind() != reflect.Func {
		return fmt.Errorf("uncurry: Bind: want a pointer to a function variable, got %T", fnPtr)
	}
	t := p.Elem().Type()
	result, hasErr, err := resultShape(t)
	if err != nil || !hasErr {
		return fmt.Errorf("uncurry: Bind: %s must return error or (R, error)", t)
	}
	p.Elem().Set(makeFunc(t, result, hasErr, call))
	return nil
}

// makeFunc returns a function of type t (results (R, error), (error), (R) or ()) that calls
// through call. A variadic parameter travels as one list argument, as Adapt expects it. Without
// an error result, a failure panics with a closurePanic, which the handler running the function
// turns back into that failure.
func makeFunc(t, result reflect.Type, hasErr bool, call Caller) reflect.Value {
	return reflect.MakeFunc(t, func(in []reflect.Value) []reflect.Value {
		args := make([]any, len(in))
		for i, v := range in {
			args[i] = v.Interface()
		}
		var out reflect.Value
		var target any
		if result != nil {
			out = reflect.New(result)
			target = out.Interface()
		}
		callErr := call(target, args...)
		if callErr != nil && !hasErr {
			panic(closurePanic{callErr})
		}
		results := make([]reflect.Value, 0, 2)
		if result != nil {
			if callErr != nil {
				results = append(results, reflect.Zero(result))
			} else {
				results = append(results, out.Elem())
			}
		}
		if hasErr {
			errValue := reflect.Zero(errorType)
			if callErr != nil {
				errValue = reflect.ValueOf(&callErr).Elem()
			}
			results = append(results, errValue)
		}
		return results
	})
}
