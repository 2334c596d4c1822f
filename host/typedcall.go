package host

import (
	"reflect"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/uncurry"
)

// Typed calls. Func0..Func3 choose, when the binding is made, how each parameter is lowered
// (codec.AppenderFor) and how the result is lifted (codec.ReplyLifter), so that a call appends
// its arguments straight into the pooled argument buffer, crosses (send, with every check of the
// reply box) and reads the reply, without boxing a value in an interface, without reflection for
// the common scalars, strings and byte slices, and without a defer. A binding with a parameter
// that may hold a Go function (a func, an *uncurry.Function, an interface) goes through
// Function.Call, which lends functions as closures.

// typedCall is what a typed binding of result type R needs at call time.
type typedCall[R any] struct {
	f    *Function
	lift codec.ReplyLifter[R]
}

func newTypedCall[R any](f *Function) *typedCall[R] {
	return &typedCall[R]{f: f, lift: codec.NewReplyLifter[R]()}
}

// begin takes a call state and starts the argument array of n arguments in its buffer.
func (t *typedCall[R]) begin(n int) (*callState, []byte) {
	st := t.f.lib.getState()
	st.lends.lendsFor(t.f.lib)
	return st, append(st.args[:0], 0x90|byte(n))
}

// argAppender appends a typed binding's argument v to b: lent through s (cabi/ABI.md section 16)
// when it is a []byte or string s lends, else written by the binding's codec.AppendFunc.
type argAppender[T any] func(s *lending, b []byte, v T) ([]byte, error)

// appenderFor returns the argAppender for parameters of type T, chosen when the binding is made:
// only []byte and string parameters are ever lent.
func appenderFor[T any]() argAppender[T] {
	la := codec.AppenderFor[T]()
	var f any
	switch any(*new(T)).(type) {
	case string:
		ls := any(la).(codec.AppendFunc[string])
		f = argAppender[string](func(s *lending, b []byte, v string) ([]byte, error) {
			if lent, ok := codec.AppendLentString(b, v, s); ok {
				return lent, nil
			}
			return ls(b, v)
		})
	case []byte:
		lb := any(la).(codec.AppendFunc[[]byte])
		f = argAppender[[]byte](func(s *lending, b []byte, v []byte) ([]byte, error) {
			if lent, ok := codec.AppendLentBytes(b, v, s); ok {
				return lent, nil
			}
			return lb(b, v)
		})
	default:
		return func(_ *lending, b []byte, v T) ([]byte, error) { return la(b, v) }
	}
	return f.(argAppender[T])
}

// finish sends args, lifts the reply and gives the call state back.
func (t *typedCall[R]) finish(st *callState, args []byte) (R, error) {
	var r R
	reply, owned, err := t.f.send(st, args)
	if err == nil {
		r, err = t.lift.Lift(st.dec, t.f.name, reply)
		if owned != nil {
			t.f.lib.free(owned)
		}
	}
	t.f.lib.putState(st, args)
	return r, err
}

// refuse gives the call state back after argument number i (from 1), v, could not be lowered,
// with the error Function.Call gives for it.
func (t *typedCall[R]) refuse(st *callState, args []byte, i int, v any, err error) (R, error) {
	t.f.lib.putState(st, args)
	var r R
	return r, uncurry.LowerError(t.f.name, i, v, err)
}

var uncurryFunctionType = reflect.TypeFor[*uncurry.Function]()

// lendsClosures reports whether a value of one of the types may be a Go function that
// Function.Call lends as a closure.
func lendsClosures(types ...reflect.Type) bool {
	for _, t := range types {
		if t.Kind() == reflect.Func || t.Kind() == reflect.Interface || t == uncurryFunctionType {
			return true
		}
	}
	return false
}
