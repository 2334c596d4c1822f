package host

import (
	"reflect"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// Bind sets *fnPtr, a variable of function type whose last result is error, to a function that
// calls the library's function called name:
//
//	var divide func(a, b float64) (float64, error)
//	err := lib.Bind("divide", &divide)
//
// A result type nothing can be lifted into is refused here (virgil.ResultError), and, when the
// library has a manifest, so is a binding whose parameters or result do not fit the manifest's:
// the wrong number of parameters, or a type no value of which could cross (see checkBinding);
// the error names the function, the parameter and both types.
func (l *Library) Bind(name string, fnPtr any) error {
	f, err := l.Func(name)
	if err != nil {
		return err
	}
	if t := reflect.TypeOf(fnPtr); t != nil && t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Func {
		ft := t.Elem()
		params := make([]reflect.Type, ft.NumIn())
		for i := range params {
			params[i] = ft.In(i)
		}
		var result reflect.Type
		if ft.NumOut() == 2 {
			result = ft.Out(0)
		}
		if err := f.checkBinding(params, result); err != nil {
			return err
		}
	}
	return uncurry.Bind(fnPtr, f.Call)
}

// checkArity compares a binding's parameter count with the manifest, when there is one.
func (f *Function) checkArity(n int) error {
	if f.info != nil && len(f.info.Params) != n {
		return exceptions.Newf(exceptions.ArgumentError, "%s takes %d arguments according to the manifest, the binding has %d", f.name, len(f.info.Params), n)
	}
	return nil
}

// typed looks a function up for a typed binding of result type R and parameters params, and
// checks it as Bind does.
func typed[R any](lib *Library, name string, params ...reflect.Type) (*Function, error) {
	f, err := lib.Func(name)
	if err != nil {
		return nil, err
	}
	return f, f.checkBinding(params, reflect.TypeFor[R]())
}

// Func0 returns a typed Go function calling the library's function of no parameters called name.
// It lowers and lifts the common scalars, strings and byte slices directly (see typedcall.go).
func Func0[R any](lib *Library, name string) (func() (R, error), error) {
	f, err := typed[R](lib, name)
	if err != nil {
		return nil, err
	}
	t := newTypedCall[R](f)
	return func() (R, error) {
		st, args := t.begin(0)
		return t.finish(st, args)
	}, nil
}

// Func1 returns a typed Go function calling the library's function of one parameter called name.
func Func1[A, R any](lib *Library, name string) (func(A) (R, error), error) {
	ta := reflect.TypeFor[A]()
	f, err := typed[R](lib, name, ta)
	if err != nil {
		return nil, err
	}
	if lendsClosures(ta) {
		return uncurry.Typed1[A, R](f.Call), nil
	}
	t, la := newTypedCall[R](f), appenderFor[A]()
	return func(a A) (R, error) {
		st, args := t.begin(1)
		args, err := la(&st.lends, args, a)
		if err != nil {
			return t.refuse(st, args, 1, a, err)
		}
		return t.finish(st, args)
	}, nil
}

// Func2 returns a typed Go function calling the library's function of two parameters called name.
func Func2[A, B, R any](lib *Library, name string) (func(A, B) (R, error), error) {
	ta, tb := reflect.TypeFor[A](), reflect.TypeFor[B]()
	f, err := typed[R](lib, name, ta, tb)
	if err != nil {
		return nil, err
	}
	if lendsClosures(ta, tb) {
		return uncurry.Typed2[A, B, R](f.Call), nil
	}
	t, la, lb := newTypedCall[R](f), appenderFor[A](), appenderFor[B]()
	return func(a A, b B) (R, error) {
		st, args := t.begin(2)
		args, err := la(&st.lends, args, a)
		if err != nil {
			return t.refuse(st, args, 1, a, err)
		}
		if args, err = lb(&st.lends, args, b); err != nil {
			return t.refuse(st, args, 2, b, err)
		}
		return t.finish(st, args)
	}, nil
}

// Func3 returns a typed Go function calling the library's function of three parameters called
// name.
func Func3[A, B, C, R any](lib *Library, name string) (func(A, B, C) (R, error), error) {
	ta, tb, tc := reflect.TypeFor[A](), reflect.TypeFor[B](), reflect.TypeFor[C]()
	f, err := typed[R](lib, name, ta, tb, tc)
	if err != nil {
		return nil, err
	}
	if lendsClosures(ta, tb, tc) {
		return uncurry.Typed3[A, B, C, R](f.Call), nil
	}
	t, la, lb, lc := newTypedCall[R](f), appenderFor[A](), appenderFor[B](), appenderFor[C]()
	return func(a A, b B, c C) (R, error) {
		st, args := t.begin(3)
		args, err := la(&st.lends, args, a)
		if err != nil {
			return t.refuse(st, args, 1, a, err)
		}
		if args, err = lb(&st.lends, args, b); err != nil {
			return t.refuse(st, args, 2, b, err)
		}
		if args, err = lc(&st.lends, args, c); err != nil {
			return t.refuse(st, args, 3, c, err)
		}
		return t.finish(st, args)
	}, nil
}
