package uncurry

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// Caller sends an encoded argument array to a function and passes the reply envelope to lift.
// The reply is only valid during lift. It returns lift's error, or its own when the call could
// not be made.
type Caller func(args []byte, lift func(reply []byte) error) error

// argBuffer is a pooled buffer with an encoder for lowering argument arrays.
type argBuffer struct {
	buf bytes.Buffer
	enc *codec.Encoder
}

var argBuffers = sync.Pool{New: func() any {
	a := &argBuffer{}
	a.enc = codec.NewEncoder(&a.buf)
	return a
}}

// maxPooledArgs is the largest argument buffer kept for reuse; larger ones are left to the GC.
const maxPooledArgs = 1 << 20

// Invoke lowers args, calls call and lifts the reply into result (which may be nil to ignore it).
// Errors are *exceptions.Exception values: the guest's, or virgil.ArgumentError when an argument
// cannot be lowered.
func Invoke(call Caller, name string, result any, args ...any) error {
	a := argBuffers.Get().(*argBuffer)
	defer func() {
		if a.buf.Cap() <= maxPooledArgs {
			a.buf.Reset()
			argBuffers.Put(a)
		}
	}()
	if err := a.enc.EncodeArrayHeader(len(args)); err != nil {
		return err
	}
	for i, v := range args {
		if err := a.enc.Encode(v); err != nil {
			return exceptions.Newf(exceptions.ArgumentError, "%s: argument %d (%T) cannot be lowered: %v", name, i+1, v, err)
		}
	}
	return call(a.buf.Bytes(), func(reply []byte) error { return codec.DecodeReply(reply, result) })
}

// Typed0 returns a typed function of no parameters that calls through call.
func Typed0[R any](name string, call Caller) func() (R, error) {
	return func() (r R, err error) { return r, Invoke(call, name, &r) }
}

// Typed1 returns a typed function of one parameter that calls through call.
func Typed1[A, R any](name string, call Caller) func(A) (R, error) {
	return func(a A) (r R, err error) { return r, Invoke(call, name, &r, a) }
}

// Typed2 returns a typed function of two parameters that calls through call.
func Typed2[A, B, R any](name string, call Caller) func(A, B) (R, error) {
	return func(a A, b B) (r R, err error) { return r, Invoke(call, name, &r, a, b) }
}

// Typed3 returns a typed function of three parameters that calls through call.
func Typed3[A, B, C, R any](name string, call Caller) func(A, B, C) (R, error) {
	return func(a A, b B, c C) (r R, err error) { return r, Invoke(call, name, &r, a, b, c) }
}

// Bind sets *fnPtr, a variable of any function type whose last result is error, to a function
// that lowers its arguments, calls through call and lifts the result:
//
//	var add func(a, b int) (int, error)
//	uncurry.Bind(&add, "add", call)
func Bind(fnPtr any, name string, call Caller) error {
	p := reflect.ValueOf(fnPtr)
	if p.Kind() != reflect.Pointer || p.Elem().Kind() != reflect.Func {
		return fmt.Errorf("uncurry: Bind %s: want a pointer to a function variable, got %T", name, fnPtr)
	}
	t := p.Elem().Type()
	result, hasErr, err := resultShape(t)
	if err != nil || !hasErr {
		return fmt.Errorf("uncurry: Bind %s: %s must return error or (R, error)", name, t)
	}
	p.Elem().Set(reflect.MakeFunc(t, func(in []reflect.Value) []reflect.Value {
		args := make([]any, len(in))
		for i, v := range in {
			args[i] = v.Interface()
		}
		if t.IsVariadic() && len(in) > 0 {
			last := in[len(in)-1]
			args = args[:len(in)-1]
			for i := 0; i < last.Len(); i++ {
				args = append(args, last.Index(i).Interface())
			}
		}
		var out reflect.Value
		var target any
		if result != nil {
			out = reflect.New(result)
			target = out.Interface()
		}
		callErr := Invoke(call, name, target, args...)
		errValue := reflect.Zero(errorType)
		if callErr != nil {
			errValue = reflect.ValueOf(&callErr).Elem()
		}
		if result == nil {
			return []reflect.Value{errValue}
		}
		if callErr != nil {
			return []reflect.Value{reflect.Zero(result), errValue}
		}
		return []reflect.Value{out.Elem(), errValue}
	}))
	return nil
}
