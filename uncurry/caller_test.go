package uncurry_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// shape is a record with nested values, for round trips.
type shape struct {
	Name   string            `msgpack:"name"`
	Points []point           `msgpack:"points"`
	Tags   map[string]string `msgpack:"tags"`
	Data   []byte            `msgpack:"data"`
	At     time.Time         `msgpack:"at"`
	Parent *shape            `msgpack:"parent"`
}

var (
	addFn    = uncurry.Func2("add", func(a, b int) int { return a + b })
	divideFn = uncurry.Func2E("divide", func(a, b float64) (float64, error) {
		if b == 0 {
			return 0, &namedError{name: "ZeroDivisionError", msg: "division by zero"}
		}
		return a / b, nil
	})
	echoFn = uncurry.Func1("echo", func(v any) any { return v })
)

// TestInvoke calls in-process handlers by value.
func TestInvoke(t *testing.T) {
	var sum int
	if err := uncurry.Invoke(inProcess(addFn.Handler), "add", &sum, 1, 2); err != nil || sum != 3 {
		t.Fatalf("add(1, 2) = %d, %v", sum, err)
	}
	if err := uncurry.Invoke(inProcess(addFn.Handler), "add", nil, 1, 2); err != nil {
		t.Fatalf("add(1, 2) ignoring the result: %v", err)
	}
	var q float64
	err := uncurry.Invoke(inProcess(divideFn.Handler), "divide", &q, 1, 0)
	if x := asException(t, err); x.Name != "ZeroDivisionError" || x.Message != "division by zero" {
		t.Fatalf("divide(1, 0): %v", err)
	}
	err = uncurry.Invoke(inProcess(addFn.Handler), "add", &sum, 1, "2")
	if x := asException(t, err); x.Name != exceptions.ArgumentError || x.Message != "add: argument 2: expected int, got str" {
		t.Fatalf("add(1, \"2\"): %v", err)
	}
}

// TestInvokeLowering checks arguments that cannot be lowered: virgil.ArgumentError naming the
// argument, and no call made.
func TestInvokeLowering(t *testing.T) {
	called := false
	never := func([]byte, any) error { called = true; return nil }
	tests := []struct {
		name string
		args []any
		want string
	}{
		{"chan", []any{1, make(chan int)}, "add: argument 2 (chan int) cannot be lowered: msgpack: Encode(unsupported chan int)"},
		{"func", []any{func() {}}, "add: argument 1 (func()) cannot be lowered: msgpack: Encode(unsupported func())"},
		{"nested chan", []any{1, 2, []any{make(chan int)}}, "add: argument 3 ([]interface {}) cannot be lowered: msgpack: Encode(unsupported chan int)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := uncurry.Invoke(never, "add", nil, tt.args...)
			x := asException(t, err)
			if x.Name != exceptions.ArgumentError || x.Message != tt.want {
				t.Errorf("got %s: %q\nwant %q", x.Name, x.Message, tt.want)
			}
			if called {
				t.Error("the function was called")
			}
			// The same through typed bindings.
			var bound func(a, b any) (int, error)
			if err := uncurry.Bind(&bound, uncurry.Over("add", never)); err != nil {
				t.Fatal(err)
			}
			if len(tt.args) == 2 {
				if _, err := bound(tt.args[0], tt.args[1]); err == nil || asException(t, err).Message != tt.want {
					t.Errorf("Bind: %v", err)
				}
				if _, err := uncurry.Typed2[any, any, int](uncurry.Over("add", never))(tt.args[0], tt.args[1]); err == nil || asException(t, err).Message != tt.want {
					t.Errorf("Typed2: %v", err)
				}
			}
		})
	}
}

// TestLowerArgs checks the bytes of argument arrays.
func TestLowerArgs(t *testing.T) {
	tests := []struct {
		args []any
		want []byte
	}{
		{nil, []byte{0x90}},
		{[]any{1}, []byte{0x91, 0x01}},
		{[]any{1, "a", nil, true, 2.0}, []byte{0x95, 0x01, 0xa1, 'a', 0xc0, 0xc3, 0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0}},
		{[]any{[]byte{}}, []byte{0x91, 0xc4, 0x00}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := uncurry.LowerArgs(codec.NewEncoder(&buf), "f", tt.args); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), tt.want) {
			t.Errorf("%v: %x, want %x", tt.args, buf.Bytes(), tt.want)
		}
	}
}

// TestCallerFailures checks errors of the transport and replies the host cannot lift.
func TestCallerFailures(t *testing.T) {
	transport := errors.New("the library is closed")
	tests := []struct {
		name    string
		call    uncurry.ByteCaller
		errName string
		message string
	}{
		{"transport error", func([]byte, any) error { return transport }, "", "the library is closed"},
		{"empty reply", replyWith(nil), exceptions.ResultError, "malformed reply: the reply is empty"},
		{"not an envelope", replyWith([]byte{0x01}), exceptions.ResultError, "malformed reply: the reply is an int, not an envelope map"},
		{"wrong key", replyWith([]byte{0x81, 0xa1, 'x', 0x01}), exceptions.ResultError, `malformed reply: the reply's key is "x", want "ok" or "error"`},
		{"trailing bytes", replyWith([]byte{0x81, 0xa2, 'o', 'k', 0x01, 0x02}), exceptions.ResultError, "malformed reply: unexpected bytes after the reply envelope (1)"},
		{"wrong result type", replyWith([]byte{0x81, 0xa2, 'o', 'k', 0xa1, 'x'}), exceptions.ResultError, "result: expected int, got str"},
		{"nil result for int", replyWith([]byte{0x81, 0xa2, 'o', 'k', 0xc0}), exceptions.ResultError, "result: expected int, got nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := uncurry.Typed2[int, int, int](uncurry.Over("add", tt.call))(1, 2)
			if got != 0 || err == nil {
				t.Fatalf("got %d, %v", got, err)
			}
			if tt.errName == "" {
				if !errors.Is(err, transport) {
					t.Errorf("error %v, want the transport's", err)
				}
				return
			}
			if x := asException(t, err); x.Name != tt.errName || x.Message != tt.message {
				t.Errorf("got %s: %q\nwant %s: %q", x.Name, x.Message, tt.errName, tt.message)
			}
		})
	}
}

// replyWith is a ByteCaller that always replies reply.
func replyWith(reply []byte) uncurry.ByteCaller {
	return func(_ []byte, result any) error { return codec.DecodeReply(reply, result) }
}

// TestTyped calls Typed0 to Typed3 bindings over in-process handlers.
func TestTyped(t *testing.T) {
	answer := uncurry.Typed0[int](caller(uncurry.Func0("answer", func() int { return 42 })))
	greet := uncurry.Typed1[string, string](caller(uncurry.Func1("greet", func(s string) string { return "Hello, " + s + "!" })))
	add := uncurry.Typed2[int, int, int](caller(addFn))
	divide := uncurry.Typed2[float64, float64, float64](caller(divideFn))
	clamp := uncurry.Typed3[float64, float64, float64, float64](caller(uncurry.Func3("clamp", func(x, lo, hi float64) float64 { return min(max(x, lo), hi) })))
	touch := uncurry.Typed0[uncurry.Nothing](caller(uncurry.Proc0("touch", func() {})))

	if got, err := answer(); got != 42 || err != nil {
		t.Errorf("answer() = %v, %v", got, err)
	}
	if got, err := greet("Ada"); got != "Hello, Ada!" || err != nil {
		t.Errorf("greet(Ada) = %q, %v", got, err)
	}
	if got, err := add(-5, 7); got != 2 || err != nil {
		t.Errorf("add(-5, 7) = %v, %v", got, err)
	}
	if got, err := divide(1, 4); got != 0.25 || err != nil {
		t.Errorf("divide(1, 4) = %v, %v", got, err)
	}
	if got, err := divide(1, 0); got != 0 || err == nil || asException(t, err).Name != "ZeroDivisionError" {
		t.Errorf("divide(1, 0) = %v, %v", got, err)
	}
	if got, err := clamp(7, 0, 5); got != 5 || err != nil {
		t.Errorf("clamp(7, 0, 5) = %v, %v", got, err)
	}
	if _, err := touch(); err != nil {
		t.Errorf("touch() = %v", err)
	}
	// A binding of the wrong arity is the guest's ArgumentError.
	wrong := uncurry.Typed1[int, int](caller(addFn))
	if _, err := wrong(1); err == nil || asException(t, err).Message != "add: expected 2 arguments, got 1" {
		t.Errorf("add(1) = %v", err)
	}
}

// TestRoundTrip sends values to an echoing guest and back through typed bindings.
func TestRoundTrip(t *testing.T) {
	at := time.Date(2024, 2, 29, 12, 30, 45, 123456789, time.UTC)
	full := shape{
		Name:   "square",
		Points: []point{{0, 0, "origin"}, {1, 1, ""}},
		Tags:   map[string]string{"colour": "red", "": "empty key"},
		Data:   []byte{0, 1, 2, 0xff},
		At:     at,
		Parent: &shape{Name: "parent", At: time.Unix(0, 0)},
	}
	shapeEcho := uncurry.Typed1[shape, shape](caller(uncurry.Func1("echo_shape", func(s shape) shape { return s })))
	got, err := shapeEcho(full)
	if err != nil {
		t.Fatal(err)
	}
	if !got.At.Equal(at) || !got.Parent.At.Equal(time.Unix(0, 0)) {
		t.Errorf("times: %v, %v", got.At, got.Parent.At)
	}
	got.At, got.Parent.At = full.At, full.Parent.At // compared above; Location differs
	if !reflect.DeepEqual(got, full) {
		t.Errorf("echo_shape\n got %+v\nwant %+v", got, full)
	}

	ptrEcho := uncurry.Typed1[*shape, *shape](caller(uncurry.Func1("echo_ptr", func(s *shape) *shape { return s })))
	if got, err := ptrEcho(nil); got != nil || err != nil {
		t.Errorf("echo_ptr(nil) = %v, %v", got, err)
	}

	mapEcho := uncurry.Typed1[map[string][]int, map[string][]int](caller(uncurry.Func1("echo_map", func(m map[string][]int) map[string][]int { return m })))
	m := map[string][]int{"a": {1, 2}, "b": {}, "c": nil}
	if got, err := mapEcho(m); err != nil || len(got) != 3 || !reflect.DeepEqual(got["a"], []int{1, 2}) || len(got["b"]) != 0 || got["c"] != nil {
		t.Errorf("echo_map(%v) = %v, %v", m, got, err)
	}
	if got, err := mapEcho(nil); got != nil || err != nil {
		t.Errorf("echo_map(nil) = %v, %v", got, err)
	}

	bytesEcho := uncurry.Typed1[[]byte, []byte](caller(uncurry.Func1("echo_bytes", func(b []byte) []byte { return b })))
	for _, b := range [][]byte{nil, {}, []byte("hello"), bytes.Repeat([]byte{0xab}, 70000)} {
		got, err := bytesEcho(b)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("echo_bytes(%d bytes) = %d bytes, %v", len(b), len(got), err)
		}
	}

	timeEcho := uncurry.Typed1[time.Time, time.Time](caller(uncurry.Func1("echo_time", func(t time.Time) time.Time { return t })))
	for _, ts := range []time.Time{at, time.Unix(0, 0), time.Unix(1<<33, 5), time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if got, err := timeEcho(ts); err != nil || !got.Equal(ts) {
			t.Errorf("echo_time(%v) = %v, %v", ts, got, err)
		}
	}

	anyEcho := uncurry.Typed1[any, any](caller(echoFn))
	for _, v := range []any{nil, true, "s", []byte("b"), 1.5} {
		if got, err := anyEcho(v); err != nil || !reflect.DeepEqual(got, v) {
			t.Errorf("echo(%#v) = %#v, %v", v, got, err)
		}
	}
	if got, err := anyEcho(map[string]any{"k": []any{"v"}}); err != nil || !reflect.DeepEqual(got, map[string]any{"k": []any{"v"}}) {
		t.Errorf("echo(map) = %#v, %v", got, err)
	}
}

// TestBind binds function variables by reflection.
func TestBind(t *testing.T) {
	var add func(a, b int) (int, error)
	if err := uncurry.Bind(&add, caller(addFn)); err != nil {
		t.Fatal(err)
	}
	if got, err := add(2, 3); got != 5 || err != nil {
		t.Errorf("add(2, 3) = %v, %v", got, err)
	}

	var divide func(a, b float64) (float64, error)
	if err := uncurry.Bind(&divide, caller(divideFn)); err != nil {
		t.Fatal(err)
	}
	if got, err := divide(1, 0); got != 0 || err == nil || asException(t, err).Name != "ZeroDivisionError" {
		t.Errorf("divide(1, 0) = %v, %v", got, err)
	}

	// Error-only result.
	var check func(n int) error
	if err := uncurry.Bind(&check, caller(uncurry.Proc1E("check", func(n int) error {
		if n < 0 {
			return &namedError{name: "ValueError", msg: "negative"}
		}
		return nil
	}))); err != nil {
		t.Fatal(err)
	}
	if err := check(1); err != nil {
		t.Errorf("check(1) = %v", err)
	}
	if err := check(-1); err == nil || asException(t, err).Name != "ValueError" {
		t.Errorf("check(-1) = %v", err)
	}

	// Records, pointers and the error a guest's panic comes back as.
	var move func(p point, dx int) (*point, error)
	if err := uncurry.Bind(&move, caller(uncurry.Func2("move", func(p point, dx int) *point {
		if dx == 0 {
			return nil
		}
		if dx < 0 {
			panic("backwards")
		}
		p.X += dx
		return &p
	}))); err != nil {
		t.Fatal(err)
	}
	if got, err := move(point{1, 2, "p"}, 3); err != nil || *got != (point{4, 2, "p"}) {
		t.Errorf("move = %v, %v", got, err)
	}
	if got, err := move(point{}, 0); err != nil || got != nil {
		t.Errorf("move(0) = %v, %v", got, err)
	}
	if got, err := move(point{}, -1); err == nil || got != nil || asException(t, err).Name != exceptions.Panic {
		t.Errorf("move(-1) = %v, %v", got, err)
	}
}

// TestBindVariadic: Bind sends a variadic function's extra arguments as positional arguments.
func TestBindVariadic(t *testing.T) {
	// A variadic parameter travels as one list argument on both sides, so a variadic binding
	// fits a variadic Go guest.
	adapted, err := uncurry.Adapt("sum", func(base int, xs ...int) int {
		for _, x := range xs {
			base += x
		}
		return base
	})
	if err != nil {
		t.Fatal(err)
	}
	var sum func(base int, xs ...int) (int, error)
	if err := uncurry.Bind(&sum, caller(adapted)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		xs   []int
		want int
	}{{nil, 100}, {[]int{1}, 101}, {[]int{1, 2, 3}, 106}} {
		if got, err := sum(100, tt.xs...); got != tt.want || err != nil {
			t.Errorf("sum(100, %v...) = %v, %v", tt.xs, got, err)
		}
	}
	var asList func(base int, xs []int) (int, error)
	if err := uncurry.Bind(&asList, caller(adapted)); err != nil {
		t.Fatal(err)
	}
	if got, err := asList(1, []int{1, 2, 3}); got != 7 || err != nil {
		t.Errorf("a list binding of a variadic guest: %v, %v", got, err)
	}
}

// TestBindInvalid checks what Bind refuses.
func TestBindInvalid(t *testing.T) {
	var noError func(int) int
	var twoResults func() (int, int)
	var threeResults func() (int, int, error)
	var noResults func()
	var notFunc int
	var nilPtr *func() error
	tests := []struct {
		name  string
		fnPtr any
		want  string
	}{
		{"no error result", &noError, "uncurry: Bind: func(int) int must return error or (R, error)"},
		{"two results", &twoResults, "uncurry: Bind: func() (int, int) must return error or (R, error)"},
		{"three results", &threeResults, "uncurry: Bind: func() (int, int, error) must return error or (R, error)"},
		{"no results", &noResults, "uncurry: Bind: func() must return error or (R, error)"},
		{"not a pointer", noError, "uncurry: Bind: want a pointer to a function variable, got func(int) int"},
		{"pointer to int", &notFunc, "uncurry: Bind: want a pointer to a function variable, got *int"},
		{"nil pointer", nilPtr, "uncurry: Bind: want a pointer to a function variable, got *func() error"},
		{"nil", nil, "uncurry: Bind: want a pointer to a function variable, got <nil>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := uncurry.Bind(tt.fnPtr, caller(addFn))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v\n want %s", err, tt.want)
			}
		})
	}
	if noError != nil || twoResults != nil {
		t.Error("a refused Bind set the variable")
	}
}

// TestBindErrorIsException checks that errors of bound functions are *exceptions.Exception and
// that errors.As reaches them.
func TestBindErrorIsException(t *testing.T) {
	var divide func(a, b float64) (float64, error)
	if err := uncurry.Bind(&divide, caller(divideFn)); err != nil {
		t.Fatal(err)
	}
	_, err := divide(1, 0)
	var x *exceptions.Exception
	if !errors.As(err, &x) || x.Name != "ZeroDivisionError" || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("error %#v", err)
	}
}
