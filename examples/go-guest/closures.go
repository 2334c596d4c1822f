package main

import (
	"sync"

	"github.com/pkg/errors"

	"github.com/virgilffi/virgil/guest"
)

// The closure cases of the conformance library (cabi/ABI.md section 15): functions that take
// functions. A parameter of function type is a closure of the caller's, valid during the call;
// guest.Func keeps one beyond it.

// Apply returns f(x).
//
//virgil:export
func Apply(f func(int64) (int64, error), x int64) (int64, error) {
	y, err := f(x)
	if err != nil {
		return 0, errors.WithStack(&CallbackFailed{Function: "apply", Err: err})
	}
	return y, nil
}

// MapInts returns [f(x) for x in xs]; the first failure of f is the failure of MapInts.
//
//virgil:export
func MapInts(f func(int64) (int64, error), xs []int64) ([]int64, error) {
	out := make([]int64, 0, len(xs))
	for _, x := range xs {
		y, err := f(x)
		if err != nil {
			return nil, errors.WithStack(&CallbackFailed{Function: "map_ints", Err: err})
		}
		out = append(out, y)
	}
	return out, nil
}

// Fold returns f(...f(f(init, x0), x1)..., xn).
//
//virgil:export
func Fold(f func(int64, int64) (int64, error), init int64, xs []int64) (int64, error) {
	acc := init
	for _, x := range xs {
		var err error
		if acc, err = f(acc, x); err != nil {
			return 0, errors.WithStack(&CallbackFailed{Function: "fold", Err: err})
		}
	}
	return acc, nil
}

// registered is the callback Register keeps for Fire.
var registered struct {
	sync.Mutex
	f  guest.Func[func(int64) (int64, error)]
	ok bool
}

// Register keeps f (retaining it) until Unregister; a callback registered before is released.
// It is exported as register by register.go, not by virgil-gen: register is a C keyword.
func Register(f guest.Func[func(int64) (int64, error)]) {
	f.Retain()
	registered.Lock()
	defer registered.Unlock()
	if registered.ok {
		registered.f.Release()
	}
	registered.f, registered.ok = f, true
}

// Fire calls the registered callback with x; without one it fails with ValueError.
//
//virgil:export
func Fire(x int64) (int64, error) {
	registered.Lock()
	f, ok := registered.f, registered.ok
	registered.Unlock()
	if !ok {
		return 0, errors.WithStack(ValueError("no callback is registered"))
	}
	return f.Fn(x)
}

// Unregister releases the registered callback, if any.
//
//virgil:export
func Unregister() {
	registered.Lock()
	defer registered.Unlock()
	if registered.ok {
		registered.f.Release()
		registered.f, registered.ok = guest.Func[func(int64) (int64, error)]{}, false
	}
}
