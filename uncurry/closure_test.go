package uncurry_test

import (
	"bytes"
	"errors"
	"testing"

	pkgerrors "github.com/pkg/errors"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// fakeRuntime "calls" a closure by running the Handler registered under its env, in Go.
type fakeRuntime struct{ handlers map[uintptr]uncurry.Handler }

func (f fakeRuntime) Call(c codec.Closure, args []byte, lift func([]byte) error) error {
	h, ok := f.handlers[c.Env]
	if !ok {
		return exceptions.New(uncurry.ReleasedClosure, "gone")
	}
	var w replyBuffer
	h(&w, args)
	return lift(w.Bytes())
}
func (fakeRuntime) Retain(codec.Closure)  {}
func (fakeRuntime) Release(codec.Closure) {}

type oops struct{}

func (oops) Error() string         { return "oops" }
func (oops) ExceptionName() string { return "Oops" }

// A function parameter is lifted from a closure into a Go function that calls back; the
// callback's failure comes back as the exported function's failure.
func TestLiftFuncParameters(t *testing.T) {
	double, _ := uncurry.HandlerOf("double", func(x int) int { return 2 * x })
	fail, _ := uncurry.HandlerOf("fail", func(x int) (int, error) { return 0, pkgerrors.WithStack(oops{}) })
	add, _ := uncurry.HandlerOf("add", func(a, b int8) int8 { return a + b }) // reflection path
	uncurry.SetClosureRuntime(fakeRuntime{map[uintptr]uncurry.Handler{1: double, 2: fail, 3: add}})
	closure := func(env uintptr) codec.Closure { return codec.Closure{Call: 1, Env: env} }

	apply := uncurry.Func2E("apply", func(f func(int) (int, error), x int) (int, error) { return f(x) })
	applyNoErr := uncurry.Func2("apply_plain", func(f func(int) int, x int) int { return f(x) })
	fold, err := uncurry.Adapt("fold", func(f func(int8, int8) int8, a, b int8) int8 { return f(a, b) })
	if err != nil {
		t.Fatal(err)
	}
	if got := apply.Params[0].Type; got != "fn(int) -> int" {
		t.Errorf("manifest type %q", got)
	}
	call := func(fn *uncurry.Function, result any, args ...any) error {
		var in bytes.Buffer
		if err := codec.NewEncoder(&in).EncodeArgs(args...); err != nil {
			t.Fatal(err)
		}
		var w replyBuffer
		fn.Handler(&w, in.Bytes())
		return codec.DecodeReply(w.Bytes(), result)
	}
	var r int
	if err := call(apply, &r, closure(1), 21); err != nil || r != 42 {
		t.Errorf("apply(double, 21) = %d, %v", r, err)
	}
	if err := call(applyNoErr, &r, closure(1), 5); err != nil || r != 10 {
		t.Errorf("apply_plain(double, 5) = %d, %v", r, err)
	}
	if err := call(fold, &r, closure(3), 2, 3); err != nil || r != 5 {
		t.Errorf("fold(add, 2, 3) = %d, %v", r, err)
	}
	for _, fn := range []*uncurry.Function{apply, applyNoErr} {
		err := call(fn, &r, closure(2), 1)
		var x *exceptions.Exception
		if !errors.As(err, &x) || x.Name != "Oops" {
			t.Errorf("%s(fail): want Oops, got %v", fn.Name, err)
		}
		err = call(fn, &r, closure(9), 1)
		if !errors.As(err, &x) || x.Name != uncurry.ReleasedClosure {
			t.Errorf("%s(released): want virgil.ReleasedClosure, got %v", fn.Name, err)
		}
	}
	err = call(apply, &r, 1, 1)
	var x *exceptions.Exception
	if !errors.As(err, &x) || x.Name != exceptions.ArgumentError || x.Message != "apply: argument 1: expected fn, got int" {
		t.Errorf("apply(1, 1): %v", err)
	}
	// A closure without a call pointer is refused alike on the typed path (apply) and the
	// reflection path (fold).
	noCall := codec.Closure{Env: 1}
	for _, tc := range []struct {
		fn   *uncurry.Function
		args []any
	}{{apply, []any{noCall, 1}}, {fold, []any{noCall, 1, 2}}} {
		err := call(tc.fn, &r, tc.args...)
		want := tc.fn.Name + ": argument 1: the closure has no call pointer"
		if !errors.As(err, &x) || x.Name != exceptions.ArgumentError || x.Message != want {
			t.Errorf("%s without a call pointer: %v", tc.fn.Name, err)
		}
	}
	// The other typed shapes: two parameters, and any.
	fold64 := uncurry.Func3E("fold64", func(f func(int64, int64) (int64, error), a, b int64) (int64, error) { return f(a, b) })
	if err := call(fold64, &r, closure(3), 20, 22); err != nil || r != 42 {
		t.Errorf("fold64(add, 20, 22) = %d, %v", r, err)
	}
	applyAny := uncurry.Func2E("apply_any", func(f func(any) (any, error), x any) (any, error) { return f(x) })
	if err := call(applyAny, &r, closure(1), 4); err != nil || r != 8 {
		t.Errorf("apply_any(double, 4) = %d, %v", r, err)
	}
}
