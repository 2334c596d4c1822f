package uncurry

import (
	"reflect"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/exceptions"
)

// Callback is a Go function made ready to be called through a closure, the host's side of
// cabi/ABI.md section 15: a function passed to a guest, adapted once per call it is passed to
// and served for each call back. The common shapes (func(int) int, func(int64, int64) (int64,
// error), func(string) string, func(any) any, ...) are kept as they are and served without
// adapting them first, so passing one and calling it back allocates nothing here; any other
// shape HandlerOf accepts is adapted to its Handler when the Callback is made.
//
// A Callback is a small value that owns nothing; the zero Callback is not usable.
type Callback struct {
	fn any     // a function of a shape serve dispatches on, or nil
	h  Handler // the adapted function otherwise
}

// callbackPrefix starts the name of a callback in error messages: "callback of apply: ...".
const callbackPrefix = "callback of "

// NewCallback makes fn ready to be called back. fn is any function HandlerOf accepts; name is
// the function fn is passed to, for the errors of the callback ("callback of apply: argument
// 1: ..."). A value that is not such a function is an error naming its type.
func NewCallback(name string, fn any) (Callback, error) {
	if fastShape(fn) && !reflect.ValueOf(fn).IsNil() {
		return Callback{fn: fn}, nil
	}
	h, err := HandlerOf(callbackPrefix+name, fn)
	if err != nil {
		return Callback{}, err
	}
	return Callback{h: h}, nil
}

// FailingCallback is a Callback that replies x to every call, such as virgil.ReleasedClosure
// for a closure that is no longer valid.
func FailingCallback(x *exceptions.Exception) Callback { return Callback{h: Fail(x)} }

// fastShape reports whether fn has one of the shapes serve dispatches on.
func fastShape(fn any) bool {
	switch fn.(type) {
	case func(int) int, func(int) (int, error), func(int, int) int, func(int, int) (int, error),
		func(int64) int64, func(int64) (int64, error), func(int64, int64) int64, func(int64, int64) (int64, error),
		func(float64) float64, func(string) string, func(any) any, func(any) (any, error):
		return true
	}
	return false
}

// WriteReply serves one call of the callback: it is WriteReply for cb, with name the function
// the callback was passed to, for its errors.
func (cb Callback) WriteReply(args []byte, lent bytebox.Box, alloc bytebox.Allocator, out *bytebox.Box, where, name string) {
	s := replyStates.Get().(*replyState)
	s.Reset(lent, alloc)
	defer finishReply(s, lent, alloc, out, where, "")
	cb.serve(s, args, callbackPrefix, name)
}

// serve runs one call of the callback over args, writing its reply to w; prefix + name names it
// in errors. The wrappers given to the serve functions do not escape, so a call allocates
// nothing for them.
func (cb Callback) serve(w ReplyWriter, args []byte, prefix, name string) {
	switch f := cb.fn.(type) {
	case func(int) int:
		serve1(prefix, name, func(a int) (int, error) { return f(a), nil }, f, w, args)
	case func(int) (int, error):
		serve1(prefix, name, f, f, w, args)
	case func(int, int) int:
		serve2(prefix, name, func(a, b int) (int, error) { return f(a, b), nil }, f, w, args)
	case func(int, int) (int, error):
		serve2(prefix, name, f, f, w, args)
	case func(int64) int64:
		serve1(prefix, name, func(a int64) (int64, error) { return f(a), nil }, f, w, args)
	case func(int64) (int64, error):
		serve1(prefix, name, f, f, w, args)
	case func(int64, int64) int64:
		serve2(prefix, name, func(a, b int64) (int64, error) { return f(a, b), nil }, f, w, args)
	case func(int64, int64) (int64, error):
		serve2(prefix, name, f, f, w, args)
	case func(float64) float64:
		serve1(prefix, name, func(a float64) (float64, error) { return f(a), nil }, f, w, args)
	case func(string) string:
		serve1(prefix, name, func(a string) (string, error) { return f(a), nil }, f, w, args)
	case func(any) any:
		serve1(prefix, name, func(a any) (any, error) { return f(a), nil }, f, w, args)
	case func(any) (any, error):
		serve1(prefix, name, f, f, w, args)
	default:
		cb.h(w, args)
	}
}
