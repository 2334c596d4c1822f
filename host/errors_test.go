package host_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// wantError checks that err is a virgil exception called name whose text is want.
func wantError(t *testing.T, err error, name, want string) {
	t.Helper()
	var x *exceptions.Exception
	if !errors.As(err, &x) || x.Name != name {
		t.Fatalf("error %#v, want a %s", err, name)
	}
	if got := err.Error(); got != want {
		t.Fatalf("error %q, want %q", got, want)
	}
}

// Result targets nothing can be lifted into are refused before the call.
func TestResultTargetsCheckedBeforeTheCall(t *testing.T) {
	lib := open(t, testlibs.CGuest(t))
	for _, tc := range []struct {
		name   string
		result any
		want   string
	}{
		{"not a pointer", 0, "add: result: want a pointer (or nil to ignore it), got int"},
		{"nil pointer", (*int)(nil), "add: result: nil pointer *int"},
		{"nil struct pointer", (*struct{ A int })(nil), "add: result: nil pointer *struct { A int }"},
		{"channel", new(chan int), "add: result: values cannot be lifted into Go type chan int"},
		{"channel field", new(struct{ C chan int }), "add: result: field C: values cannot be lifted into Go type chan int"},
		{"interface with methods", new([]error), "add: result: element [0]: values cannot be lifted into the interface type error (only any)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := liveAllocations(t, lib)
			wantError(t, lib.Call("add", tc.result, 1, 2), exceptions.ResultError, tc.want)
			if after := liveAllocations(t, lib); after != before {
				t.Fatalf("the call crossed: %d live allocations, %d before", after, before)
			}
		})
	}
	if err := lib.Call("add", nil, 1, 2); err != nil {
		t.Fatalf("a nil result is ignored: %v", err)
	}
}

// Errors lifting a result name the function and the field.
func TestResultErrorsNameFunctionAndField(t *testing.T) {
	lib := open(t, testlibs.CGuest(t))
	var s struct {
		Count string
	}
	wantError(t, lib.Call("stats", &s, []float64{1, 2}), exceptions.ResultError, "stats: result: field count: expected str, got int")
	var missing struct {
		Count  int
		Median float64
	}
	wantError(t, lib.Call("stats", &missing, []float64{1, 2}), exceptions.ResultError, "stats: result: record: missing field Median")
	var n int
	wantError(t, lib.Call("greet", &n, "x"), exceptions.ResultError, "greet: result: expected int, got str")
	var xs []struct{ Mean string }
	wantError(t, lib.Call("stats", &xs, []float64{1}), exceptions.ResultError, "stats: result: expected array, got map")
	if err := lib.Call("add", nil, 1, make(chan int)); err == nil || !strings.HasPrefix(err.Error(), "add: argument 2 ") {
		t.Fatalf("error %v", err)
	}
}

// Bindings are checked against the manifest's types when they are made.
func TestBindingsCheckedAgainstTheManifest(t *testing.T) {
	lib := open(t, testlibs.CGuest(t))
	if _, err := host.Func2[int, int, int](lib, "add"); err != nil {
		t.Fatal(err)
	}
	if _, err := host.Func2[int8, uint, float64](lib, "add"); err != nil {
		t.Fatalf("int fits uint and float: %v", err)
	}
	if _, err := host.Func2[any, any, any](lib, "add"); err != nil {
		t.Fatal(err)
	}
	_, err := host.Func2[int, string, int](lib, "add")
	if err == nil || !strings.HasPrefix(err.Error(), "add: parameter 2 (") || !strings.HasSuffix(err.Error(), "): the binding has str, the manifest says int") {
		t.Fatalf("error %v", err)
	}
	_, err = host.Func2[int, int, string](lib, "add")
	wantError(t, err, exceptions.ResultError, "add: result: the binding has str, the manifest says int")
	type summary struct {
		Count int
		Mean  string
	}
	_, err = host.Func1[[]float64, summary](lib, "stats")
	if err == nil || !strings.Contains(err.Error(), `, field Mean: float is no str`) {
		t.Fatalf("error %v", err)
	}
	var divide func(a, b float64) (string, error)
	err = lib.Bind("divide", &divide)
	wantError(t, err, exceptions.ResultError, "divide: result: the binding has str, the manifest says float")
	var ch func() (chan int, error)
	err = lib.Bind("divide", &ch)
	if err == nil || !strings.Contains(err.Error(), "values cannot be lifted into Go type chan int") {
		t.Fatalf("error %v", err)
	}
}
