package host_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// sameOutcome fails t unless a typed call's outcome (r1, err1) is the one lib.Call gave
// (r2, err2): the same value, or the same exception (name and message) or error text.
func sameOutcome(t *testing.T, what string, r1 any, err1 error, r2 any, err2 error) {
	t.Helper()
	if fmt.Sprint(err1) != fmt.Sprint(err2) {
		t.Errorf("%s: typed error %v, Call error %v", what, err1, err2)
		return
	}
	var x1, x2 *exceptions.Exception
	if errors.As(err1, &x1) != errors.As(err2, &x2) || x1 != nil && x1.Name != x2.Name {
		t.Errorf("%s: typed error %#v, Call error %#v", what, err1, err2)
	}
	if err1 == nil && !reflect.DeepEqual(r1, r2) {
		t.Errorf("%s: typed result %#v, Call result %#v", what, r1, r2)
	}
}

// echoAs calls echo(a) through a typed binding and through lib.Call and compares the outcomes.
func echoAs[A, R any](t *testing.T, lib *host.Library, a A) {
	t.Helper()
	what := fmt.Sprintf("echo(%T %#v) into %s", a, a, reflect.TypeFor[R]())
	echo, err := host.Func1[A, R](lib, "echo")
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	r1, err1 := echo(a)
	var r2 R
	err2 := lib.Call("echo", &r2, a)
	sameOutcome(t, what, r1, err1, r2, err2)
}

// TestTypedMatchesCall: a typed binding, which lowers and lifts the common types directly, gives
// what Call gives, values and errors alike, on the directly lowered and lifted types and on the
// others.
func TestTypedMatchesCall(t *testing.T) {
	deep := []any{}
	for range 600 {
		deep = []any{deep}
	}
	for language, build := range testlibs.ConformanceGuests() {
		t.Run(language, func(t *testing.T) {
			lib := open(t, build(t))
			echoAs[int, int](t, lib, 5)
			echoAs[int, int](t, lib, -1<<40)
			echoAs[int, uint64](t, lib, -1)
			echoAs[int64, int32](t, lib, 1<<40)
			echoAs[int32, int64](t, lib, -7)
			echoAs[uint, uint64](t, lib, 1<<63)
			echoAs[uint64, int](t, lib, 1<<63)
			echoAs[float64, float64](t, lib, 2.5)
			echoAs[int, float64](t, lib, 3)
			echoAs[float32, float32](t, lib, 1.5)
			echoAs[string, float32](t, lib, "x")
			echoAs[bool, bool](t, lib, true)
			echoAs[string, bool](t, lib, "x")
			echoAs[string, string](t, lib, "héllo")
			echoAs[string, string](t, lib, "\xff")
			echoAs[string, int](t, lib, "x")
			echoAs[[]byte, []byte](t, lib, []byte{1, 2})
			echoAs[[]byte, []byte](t, lib, []byte{})
			echoAs[[]byte, []byte](t, lib, nil)
			echoAs[[]byte, string](t, lib, []byte{1})
			echoAs[string, []byte](t, lib, "x")
			echoAs[[]float64, []float64](t, lib, []float64{1, 2.5})
			echoAs[map[string]int, map[string]any](t, lib, map[string]int{"a": 1})
			echoAs[int8, int8](t, lib, -3)
			echoAs[[]any, any](t, lib, deep)
			echoAs[[]any, any](t, lib, []any{1, "x"})
		})
	}
}

// TestTypedHostileGuest runs the guest faults of hostile.json through typed bindings, whose
// replies take the direct path when they can: each fault gives the error Call gives, and the
// guest's live buffers come back to where they were but for the buffers leaked on purpose.
func TestTypedHostileGuest(t *testing.T) {
	suite := loadHostile(t)
	lib := open(t, testlibs.HostileGuest(t))
	before := liveAllocations(t, lib)
	leaks := int64(0)
	for _, c := range suite.GuestFaults {
		if c.Function == leaksOnPurpose {
			leaks += 5 // two typed calls, two Calls and checkGuestFault
		}
		asInt, err := host.Func0[int](lib, c.Function)
		if err != nil {
			t.Fatal(err)
		}
		asAny, err := host.Func0[any](lib, c.Function)
		if err != nil {
			t.Fatal(err)
		}
		r1, err1 := asInt()
		var r2 int
		err2 := lib.Call(c.Function, &r2)
		sameOutcome(t, c.Function+" into int", r1, err1, r2, err2)
		a1, err1 := asAny()
		var a2 any
		err2 = lib.Call(c.Function, &a2)
		sameOutcome(t, c.Function+" into any", a1, err1, a2, err2)
		if err := checkGuestFault(lib, c.Function, c.Expect); err != nil {
			t.Error(err)
		}
	}
	if after := liveAllocations(t, lib); after != before+leaks {
		t.Fatalf("the guest's live buffers went from %d to %d, want %d", before, after, before+leaks)
	}
}
