package exceptions

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestRegisterConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				sentinel := fmt.Errorf("sentinel %d/%d", g, i)
				name := fmt.Sprintf("test.Sentinel%d_%d", g, i)
				Register(sentinel, name)
				RegisterType(valueError{}, "ValueError")
				e := From(fmt.Errorf("wrapped: %w", sentinel))
				if e.Cause.Name != name {
					t.Errorf("name %q, want %q", e.Cause.Name, name)
					return
				}
				if !errors.Is(&Exception{Name: name}, sentinel) {
					t.Errorf("errors.Is by name failed for %s", name)
					return
				}
			}
		})
	}
	wg.Wait()
}

// sliceError is comparable as a type but panics when compared, because
// its interface field holds a slice.
type sliceError struct{ v any }

func (e sliceError) Error() string { return "slice" }

func TestRegistryIncomparable(t *testing.T) {
	err := sliceError{v: []int{1}}
	if got := From(err).Name; got != "exceptions.sliceError" {
		t.Errorf("name %q", got)
	}
	if errors.Is(From(err), err) {
		t.Error("an incomparable error is itself")
	}
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"nil sentinel", func() { Register(nil, "x") }},
		{"empty name", func() { Register(errors.New("x"), "") }},
		{"incomparable type", func() { Register(incomparable{}, "x") }},
		{"nil type", func() { RegisterType(nil, "x") }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

type incomparable struct{ s []int }

func (incomparable) Error() string { return "incomparable" }
