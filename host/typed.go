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
// When the library has a manifest, a binding with the wrong number of parameters is refused here
// rather than at the first call.
func (l *Library) Bind(name string, fnPtr any) error {
	f, err := l.Func(name)
	if err != nil {
		return err
	}
	if t := reflect.TypeOf(fnPtr); t != nil && t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Func {
		if err := f.checkArity(t.Elem().NumIn()); err != nil {
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

// typed looks a function up for a typed binding of n parameters.
func typed(lib *Library, name string, n int) (*Function, error) {
	f, err := lib.Func(name)
	if err != nil {
		return nil, err
	}
	return f, f.checkArity(n)
}

// Func0 returns a typed Go function calling the library's function of no parameters called name.
func Func0[R any](lib *Library, name string) (func() (R, error), error) {
	f, err := typed(lib, name, 0)
	if err != nil {
		return nil, err
	}
	return uncurry.Typed0[R](f.Call), nil
}

// Func1 returns a typed Go function calling the library's function of one parameter called name.
func Func1[A, R any](lib *Library, name string) (func(A) (R, error), error) {
	f, err := typed(lib, name, 1)
	if err != nil {
		return nil, err
	}
	return uncurry.Typed1[A, R](f.Call), nil
}

// Func2 returns a typed Go function calling the library's function of two parameters called name.
func Func2[A, B, R any](lib *Library, name string) (func(A, B) (R, error), error) {
	f, err := typed(lib, name, 2)
	if err != nil {
		return nil, err
	}
	return uncurry.Typed2[A, B, R](f.Call), nil
}

// Func3 returns a typed Go function calling the library's function of three parameters called
// name.
func Func3[A, B, C, R any](lib *Library, name string) (func(A, B, C) (R, error), error) {
	f, err := typed(lib, name, 3)
	if err != nil {
		return nil, err
	}
	return uncurry.Typed3[A, B, C, R](f.Call), nil
}
