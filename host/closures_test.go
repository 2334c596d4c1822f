package host_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/conformance"
	"github.com/virgilffi/virgil/internal/testlibs"
	"github.com/virgilffi/virgil/uncurry"
)

func (goHost) Callback(name string) (any, error) { return conformance.GoCallback(name) }
func (goHost) Language() string                  { return exceptions.Language }

// hasFunction reports whether the library's manifest lists name.
func hasFunction(lib *host.Library, name string) bool {
	return lib.Manifest() != nil && lib.Manifest().Lookup(name) != nil
}

// closureGuests returns the conformance guests that take closures (their manifest has apply).
func closureGuests(t *testing.T) map[string]*host.Library {
	libs := map[string]*host.Library{}
	for language, build := range testlibs.ConformanceGuests() {
		lib := open(t, build(t))
		if hasFunction(lib, "apply") {
			libs[language] = lib
		}
	}
	if libs["go"] == nil {
		t.Fatal("the Go guest has no apply")
	}
	return libs
}

// checkNoLiveClosures fails t when closures are still live once every call has returned.
func checkNoLiveClosures(t *testing.T) {
	t.Helper()
	if n := host.LiveClosures(); n != 0 {
		t.Errorf("%d closures are still live", n)
	}
}

// TestCallbacks runs cabi/conformance/callbacks.json against every guest that takes closures.
func TestCallbacks(t *testing.T) {
	for language, lib := range closureGuests(t) {
		t.Run(language, func(t *testing.T) {
			conformance.RunCallbacks(t, goHost{lib})
			checkNoLiveClosures(t)
		})
	}
}

// Typed bindings and Bind lower function arguments too.
func TestClosureBindings(t *testing.T) {
	for language, lib := range closureGuests(t) {
		t.Run(language, func(t *testing.T) {
			apply, err := host.Func2[func(int64) int64, int64, int64](lib, "apply")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := apply(func(x int64) int64 { return x * x }, 9); err != nil || got != 81 {
				t.Errorf("apply(square, 9) = %d, %v", got, err)
			}
			var fold func(f func(acc, x int) (int, error), init int, xs []int) (int, error)
			if err := lib.Bind("fold", &fold); err != nil {
				t.Fatal(err)
			}
			got, err := fold(func(acc, x int) (int, error) { return acc*10 + x, nil }, 0, []int{1, 2, 3})
			if err != nil || got != 123 {
				t.Errorf("fold = %d, %v", got, err)
			}
			// A function of the reflection path (a shape without a fast path) and a Handler.
			var s []int
			if err := lib.Call("map_ints", &s, func(x int8) uint16 { return uint16(x) + 1 }, []int{1, 2}); err != nil || !slices.Equal(s, []int{2, 3}) {
				t.Errorf("map_ints(int8 -> uint16) = %v, %v", s, err)
			}
			if err := lib.Call("map_ints", &s, uncurry.Func1("plus", func(x int) int { return x + 100 }), []int{1}); err != nil || !slices.Equal(s, []int{101}) {
				t.Errorf("map_ints(*uncurry.Function) = %v, %v", s, err)
			}
			checkNoLiveClosures(t)
		})
	}
}

// A function that cannot be adapted (two non-error results) is refused before crossing.
func TestClosureNotAdaptable(t *testing.T) {
	lib := open(t, testlibs.GoGuest(t))
	err := lib.Call("apply", nil, func(x int) (int, int) { return x, x }, 1)
	var x *exceptions.Exception
	if !errors.As(err, &x) || x.Name != exceptions.ArgumentError {
		t.Fatalf("want virgil.ArgumentError, got %v", err)
	}
	checkNoLiveClosures(t)
}

// A callback that panics fails the guest's function with virgil.Panic, with the Go frames of the
// panic, and the host survives.
func TestClosurePanics(t *testing.T) {
	for language, lib := range closureGuests(t) {
		t.Run(language, func(t *testing.T) {
			err := lib.Call("apply", nil, func(x int64) int64 { panic(fmt.Sprintf("callback panicked on %d", x)) }, 3)
			var x *exceptions.Exception
			if !errors.As(err, &x) {
				t.Fatalf("want an exception, got %v", err)
			}
			var level *exceptions.Exception
			for l := x; l != nil; l = l.Cause {
				if l.Name == exceptions.Panic {
					level = l
				}
			}
			if level == nil || level.Message != "callback panicked on 3" || level.Language != "go" || len(level.Traceback) == 0 {
				t.Fatalf("want a virgil.Panic level with Go frames, got %+v", x)
			}
			checkNoLiveClosures(t)
		})
	}
}

// An error returned by a callback comes back with its name, message, Go frames and causes, under
// the guest's own level.
func TestClosureErrorRecord(t *testing.T) {
	lib := open(t, testlibs.GoGuest(t))
	var r int
	err := lib.Call("apply", &r, conformance.Must(conformance.GoCallback("fail")), 7)
	var outer *exceptions.Exception
	if !errors.As(err, &outer) || outer.Name != "CallbackFailed" || outer.Language != "go" ||
		!slices.ContainsFunc(outer.Traceback, func(f exceptions.Frame) bool { return f.Function == "main.Apply" }) {
		t.Fatalf("want the guest's CallbackFailed level with its main.Apply frame, got %+v", err)
	}
	x := outer.Cause
	if x == nil || x.Name != conformance.CallbackErrorName || x.Message != "callback failed on 7" {
		t.Fatalf("want the callback's CallbackError as the cause, got %+v", err)
	}
	if !slices.ContainsFunc(x.Traceback, func(f exceptions.Frame) bool {
		return f.Function == "github.com/virgilffi/virgil/internal/conformance.GoCallback.func4"
	}) {
		t.Errorf("the callback's frame is missing: %+v", x.Traceback)
	}
}

// TestRetainedClosure: a guest that retains a closure keeps it callable after the call; released,
// it is gone from the handle table.
func TestRetainedClosure(t *testing.T) {
	for language, lib := range closureGuests(t) {
		t.Run(language, func(t *testing.T) {
			if err := lib.Call("register", nil, func(x int) int { return x + 1000 }); err != nil {
				t.Fatal(err)
			}
			if n := host.LiveClosures(); n != 1 {
				t.Errorf("after register: %d live closures, want 1 (retained)", n)
			}
			var r int
			if err := lib.Call("fire", &r, 1); err != nil || r != 1001 {
				t.Errorf("fire(1) = %d, %v", r, err)
			}
			if err := lib.Call("unregister", nil); err != nil {
				t.Fatal(err)
			}
			checkNoLiveClosures(t)
		})
	}
}

// TestMillionFreshClosures passes a fresh closure to each of a million calls, from 16 goroutines:
// every call must see its own function, and no handle may stay live.
func TestMillionFreshClosures(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the million-closure test in -short mode")
	}
	total := 1_000_000
	if raceEnabled {
		total = 50_000
	}
	for language, lib := range closureGuests(t) {
		t.Run(language, func(t *testing.T) {
			before := liveAllocations(t, lib)
			const goroutines = 16
			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range total / goroutines {
						k := int64(g*total + i)
						var r int64
						if err := lib.Call("apply", &r, func(x int64) int64 { return x + k }, k); err != nil || r != 2*k {
							errs <- fmt.Errorf("apply(x + %d, %d) = %d, %v", k, k, r, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			t.Logf("%d calls with a fresh closure each, from %d goroutines: %v", total, goroutines, time.Since(start))
			checkNoLiveClosures(t)
			if after := liveAllocations(t, lib); after != before {
				t.Errorf("live guest buffers went from %d to %d", before, after)
			}
		})
	}
}

// A Go guest that is itself a host (relay) passes closures of its own to the C guest: the
// process then holds two copies of package host, this test's and the guest's, and the C guest's
// calls of the guest's closures must reach the guest's copy, not this one.
func TestClosuresOfAGuestThatIsAHost(t *testing.T) {
	relay := open(t, testlibs.GoLibrary(t, "./internal/testguests/relay"))
	if err := relay.Call("use_peer", nil, testlibs.CGuest(t)); err != nil {
		t.Fatal(err)
	}
	for _, x := range []int64{4, -7} {
		var y int64
		if err := relay.Call("relay", &y, x); err != nil || y != 10*x {
			t.Fatalf("relay(%d) = %d, %v", x, y, err)
		}
	}
	checkNoLiveClosures(t)
}
