package uncurry_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// summary is a record result, as in the conformance library's stats.
type summary struct {
	Count int     `msgpack:"count"`
	Mean  float64 `msgpack:"mean"`
}

func summarize(xs []float64) summary {
	s := summary{Count: len(xs)}
	for _, x := range xs {
		s.Mean += x / float64(len(xs))
	}
	return s
}

var errBoom = &namedError{name: "BoomError", msg: "boom"}

// p makes manifest parameters from name, type pairs.
func p(nameTypes ...string) []uncurry.Param {
	out := []uncurry.Param{}
	for i := 0; i < len(nameTypes); i += 2 {
		out = append(out, uncurry.Param{Name: nameTypes[i], Type: nameTypes[i+1]})
	}
	return out
}

// TestShapes calls every generic constructor: the result or error it replies with, the side
// effects of the procedures, and the manifest entry it describes.
func TestShapes(t *testing.T) {
	var seen []any // what the procedures were called with
	see := func(args ...any) { seen = args }
	fail := func(fail bool) error {
		if fail {
			return errBoom
		}
		return nil
	}
	tests := []struct {
		name     string
		fn       *uncurry.Function
		args     []any
		want     any    // the result value, when wantErr is ""
		wantErr  string // the name of the exception replied with
		wantSeen []any  // the arguments a procedure saw
		params   []uncurry.Param
		result   string
	}{
		{name: "Func0", fn: uncurry.Func0("answer", func() int { return 42 }),
			want: 42, params: p(), result: "int"},
		{name: "Func1", fn: uncurry.Func1("greet", func(s string) string { return "Hello, " + s + "!" }),
			args: []any{"Ada"}, want: "Hello, Ada!", params: p("arg1", "str"), result: "str"},
		{name: "Func2", fn: uncurry.Func2("add", func(a, b int) int { return a + b }),
			args: []any{1, 2}, want: 3, params: p("arg1", "int", "arg2", "int"), result: "int"},
		{name: "Func3", fn: uncurry.Func3("clamp", func(x, lo, hi float64) float64 { return min(max(x, lo), hi) }),
			args: []any{5, 0.0, 2.5}, want: 2.5, params: p("arg1", "float", "arg2", "float", "arg3", "float"), result: "float"},
		{name: "Func1/record", fn: uncurry.Func1("stats", summarize),
			args: []any{[]float64{1, 2, 3}}, want: summary{Count: 3, Mean: 2},
			params: p("arg1", "[float]"), result: `{"count": int, "mean": float}`},
		{name: "Func1/map", fn: uncurry.Func1("count", func(s []string) map[string]int {
			m := map[string]int{}
			for _, x := range s {
				m[x]++
			}
			return m
		}), args: []any{[]string{"a", "b", "a"}}, want: map[string]int{"a": 2, "b": 1},
			params: p("arg1", "[str]"), result: "{str: int}"},

		{name: "Func0E/ok", fn: uncurry.Func0E("answer", func() (int, error) { return 42, nil }),
			want: 42, params: p(), result: "int"},
		{name: "Func0E/error", fn: uncurry.Func0E("answer", func() (int, error) { return 0, errBoom }),
			wantErr: "BoomError", params: p(), result: "int"},
		{name: "Func1E/ok", fn: uncurry.Func1E("half", func(x int) (float64, error) { return float64(x) / 2, fail(x < 0) }),
			args: []any{3}, want: 1.5, params: p("arg1", "int"), result: "float"},
		{name: "Func1E/error", fn: uncurry.Func1E("half", func(x int) (float64, error) { return 0, fail(x < 0) }),
			args: []any{-1}, wantErr: "BoomError", params: p("arg1", "int"), result: "float"},
		{name: "Func2E/ok", fn: uncurry.Func2E("divide", func(a, b float64) (float64, error) { return a / b, fail(b == 0) }),
			args: []any{1, 4}, want: 0.25, params: p("arg1", "float", "arg2", "float"), result: "float"},
		{name: "Func2E/error", fn: uncurry.Func2E("divide", func(a, b float64) (float64, error) { return 0, fail(b == 0) }),
			args: []any{1, 0}, wantErr: "BoomError", params: p("arg1", "float", "arg2", "float"), result: "float"},
		{name: "Func3E/ok", fn: uncurry.Func3E("join", func(a, b, sep string) (string, error) { return a + sep + b, nil }),
			args: []any{"a", "b", "-"}, want: "a-b", params: p("arg1", "str", "arg2", "str", "arg3", "str"), result: "str"},
		{name: "Func3E/error", fn: uncurry.Func3E("join", func(a, b, sep string) (string, error) { return "", fail(sep == "") }),
			args: []any{"a", "b", ""}, wantErr: "BoomError", params: p("arg1", "str", "arg2", "str", "arg3", "str"), result: "str"},

		{name: "Proc0", fn: uncurry.Proc0("touch", func() { see("touched") }),
			wantSeen: []any{"touched"}, params: p(), result: "nil"},
		{name: "Proc1", fn: uncurry.Proc1("log", func(b []byte) { see(b) }),
			args: []any{[]byte("hi")}, wantSeen: []any{[]byte("hi")}, params: p("arg1", "bytes"), result: "nil"},
		{name: "Proc2", fn: uncurry.Proc2("set", func(k string, v bool) { see(k, v) }),
			args: []any{"k", true}, wantSeen: []any{"k", true}, params: p("arg1", "str", "arg2", "bool"), result: "nil"},
		{name: "Proc3", fn: uncurry.Proc3("put", func(k string, v *int, tags map[string]string) { see(k, v, tags) }),
			args: []any{"k", nil, nil}, wantSeen: []any{"k", (*int)(nil), map[string]string(nil)},
			params: p("arg1", "str", "arg2", "int?", "arg3", "{str: str}"), result: "nil"},

		{name: "Proc0E/ok", fn: uncurry.Proc0E("flush", func() error { see("flushed"); return nil }),
			wantSeen: []any{"flushed"}, params: p(), result: "nil"},
		{name: "Proc0E/error", fn: uncurry.Proc0E("flush", func() error { return errBoom }),
			wantErr: "BoomError", params: p(), result: "nil"},
		{name: "Proc1E/ok", fn: uncurry.Proc1E("sleep_ms", func(ms int) error { see(ms); return fail(ms < 0) }),
			args: []any{5}, wantSeen: []any{5}, params: p("arg1", "int"), result: "nil"},
		{name: "Proc1E/error", fn: uncurry.Proc1E("sleep_ms", func(ms int) error { return fail(ms < 0) }),
			args: []any{-5}, wantErr: "BoomError", params: p("arg1", "int"), result: "nil"},
		{name: "Proc2E/ok", fn: uncurry.Proc2E("store", func(k string, v any) error { see(k, v); return nil }),
			args: []any{"k", "v"}, wantSeen: []any{"k", "v"}, params: p("arg1", "str", "arg2", "any"), result: "nil"},
		{name: "Proc2E/error", fn: uncurry.Proc2E("store", func(k string, v any) error { return errBoom }),
			args: []any{"k", 1}, wantErr: "BoomError", params: p("arg1", "str", "arg2", "any"), result: "nil"},
		{name: "Proc3E/ok", fn: uncurry.Proc3E("move", func(a, b string, n uint) error { see(a, b, n); return nil }),
			args: []any{"a", "b", 7}, wantSeen: []any{"a", "b", uint(7)}, params: p("arg1", "str", "arg2", "str", "arg3", "uint"), result: "nil"},
		{name: "Proc3E/error", fn: uncurry.Proc3E("move", func(a, b string, n uint) error { return errBoom }),
			args: []any{"a", "b", 7}, wantErr: "BoomError", params: p("arg1", "str", "arg2", "str", "arg3", "uint"), result: "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			reply := handle(t, tt.fn, encodeArgs(t, tt.args...))
			switch {
			case tt.wantErr != "":
				if x := replyError(t, reply); x.Name != tt.wantErr {
					t.Errorf("error %q, want name %q", x, tt.wantErr)
				}
			case tt.result == "nil":
				if got := okValue(t, reply); !bytes.Equal(got, []byte{0xc0}) {
					t.Errorf("result %x, want nil (c0)", got)
				}
				if want := []byte{0x81, 0xa2, 'o', 'k', 0xc0}; !bytes.Equal(reply, want) {
					t.Errorf("reply %x, want %x", reply, want)
				}
				if !reflect.DeepEqual(seen, tt.wantSeen) {
					t.Errorf("the procedure saw %#v, want %#v", seen, tt.wantSeen)
				}
			default:
				if got, want := okValue(t, reply), encodeValue(t, tt.want); !sameValue(got, want) {
					t.Errorf("result %x, want %x (%v)", got, want, tt.want)
				}
			}
			if !reflect.DeepEqual(tt.fn.Params, tt.params) {
				t.Errorf("Params = %+v, want %+v", tt.fn.Params, tt.params)
			}
			if tt.fn.Result != tt.result {
				t.Errorf("Result = %q, want %q", tt.fn.Result, tt.result)
			}
			if tt.fn.Doc != "" {
				t.Errorf("Doc = %q, want empty", tt.fn.Doc)
			}
		})
	}
}

// TestDescribe checks manifest descriptions: type names, default and given parameter names, docs.
func TestDescribe(t *testing.T) {
	type point struct {
		X, Y  float64
		Label string `msgpack:"label"`
		skip  int
	}
	tests := []struct {
		name   string
		fn     *uncurry.Function
		params []uncurry.Param
		result string
		doc    string
	}{
		{name: "stats", fn: uncurry.Func1("stats", summarize).WithParams("xs").WithDoc("Stats summarizes xs."),
			params: p("xs", "[float]"), result: `{"count": int, "mean": float}`, doc: "Stats summarizes xs."},
		{name: "default names", fn: uncurry.Func2("add", func(a, b int) int { return a + b }),
			params: p("arg1", "int", "arg2", "int"), result: "int"},
		{name: "some names", fn: uncurry.Func2("add", func(a, b int) int { return a + b }).WithParams("", "b"),
			params: p("arg1", "int", "b", "int"), result: "int"},
		{name: "extra names ignored", fn: uncurry.Func1("neg", func(a int) int { return -a }).WithParams("a", "b", "c"),
			params: p("a", "int"), result: "int"},
		{name: "scalars", fn: uncurry.Func3("f", func(bool, uint8, float32) time.Time { return time.Time{} }),
			params: p("arg1", "bool", "arg2", "uint", "arg3", "float32"), result: "time"},
		{name: "containers", fn: uncurry.Func3("g", func([]byte, map[string][]int, *string) []*point { return nil }),
			params: p("arg1", "bytes", "arg2", "{str: [int]}", "arg3", "str?"), result: `[{"X": float, "Y": float, "label": str}?]`},
		{name: "any", fn: uncurry.Func1("echo", func(v any) any { return v }),
			params: p("arg1", "any"), result: "any"},
		{name: "error only", fn: uncurry.Proc1E("check", func(int) error { return nil }),
			params: p("arg1", "int"), result: "nil"},
		{name: "Nothing result", fn: uncurry.Func0("none", func() uncurry.Nothing { return uncurry.Nothing{} }),
			params: p(), result: "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.fn.Params, tt.params) {
				t.Errorf("Params = %+v, want %+v", tt.fn.Params, tt.params)
			}
			if tt.fn.Result != tt.result {
				t.Errorf("Result = %q, want %q", tt.fn.Result, tt.result)
			}
			if tt.fn.Doc != tt.doc {
				t.Errorf("Doc = %q, want %q", tt.fn.Doc, tt.doc)
			}
		})
	}
}

// TestManifestEncoding checks how a Function appears in a manifest: keys name, params, result,
// doc in that order, and no handler.
func TestManifestEncoding(t *testing.T) {
	f := uncurry.Func2("add", func(a, b int) int { return a + b }).WithParams("a", "b").WithDoc("Add adds.")
	m := uncurry.Manifest{ABI: 1, Library: "demo", Language: "go", Version: "1.0.0", Functions: []*uncurry.Function{f}}
	b := encodeValue(t, m)
	want := []byte("\x85\xa3abi\x01\xa7library\xa4demo\xa8language\xa2go\xa7version\xa51.0.0\xa9functions\x91" +
		"\x84\xa4name\xa3add\xa6params\x92\x82\xa4name\xa1a\xa4type\xa3int\x82\xa4name\xa1b\xa4type\xa3int" +
		"\xa6result\xa3int\xa3doc\xa9Add adds.")
	if !bytes.Equal(b, want) {
		t.Fatalf("manifest\n got %x\nwant %x", b, want)
	}
	var back uncurry.Manifest
	if err := codec.NewDecoder(b).Decode(&back); err != nil {
		t.Fatal(err)
	}
	got := back.Lookup("add")
	if got == nil || got.Handler != nil || got.Doc != "Add adds." || !reflect.DeepEqual(got.Params, f.Params) || got.Result != "int" {
		t.Fatalf("Lookup(add) = %+v", got)
	}
	if back.Lookup("sub") != nil {
		t.Fatal("Lookup(sub) found something")
	}
}

// TestAdapt adapts functions by reflection, including shapes the generic constructors lack.
func TestAdapt(t *testing.T) {
	tests := []struct {
		name    string
		fn      any
		args    []any
		want    any
		wantErr string
		params  []uncurry.Param
		result  string
	}{
		{name: "five params", fn: func(a int, b string, c float64, d []int, e bool) string {
			return fmt.Sprintf("%d %s %g %v %t", a, b, c, d, e)
		}, args: []any{1, "two", 3.5, []int{4}, true}, want: "1 two 3.5 [4] true",
			params: p("arg1", "int", "arg2", "str", "arg3", "float", "arg4", "[int]", "arg5", "bool"), result: "str"},
		{name: "variadic", fn: func(xs ...int) int {
			s := 0
			for _, x := range xs {
				s += x
			}
			return s
		}, args: []any{[]int{1, 2, 3}}, want: 6, params: p("arg1", "[int]"), result: "int"},
		{name: "variadic/with prefix", fn: func(sep string, parts ...string) string { return strings.Join(parts, sep) },
			args: []any{"-", []string{"a", "b"}}, want: "a-b", params: p("arg1", "str", "arg2", "[str]"), result: "str"},
		{name: "variadic/nil", fn: func(xs ...int) int { return len(xs) },
			args: []any{nil}, want: 0, params: p("arg1", "[int]"), result: "int"},
		{name: "no results", fn: func(int) {}, args: []any{1}, want: nil, params: p("arg1", "int"), result: "nil"},
		{name: "error only/nil", fn: func() error { return nil }, want: nil, params: p(), result: "nil"},
		{name: "error only/error", fn: func() error { return errBoom }, wantErr: "BoomError", params: p(), result: "nil"},
		{name: "result and error/ok", fn: func(a, b, c, d int) (int, error) { return a + b + c + d, nil },
			args: []any{1, 2, 3, 4}, want: 10, params: p("arg1", "int", "arg2", "int", "arg3", "int", "arg4", "int"), result: "int"},
		{name: "result and error/error", fn: func(a, b, c, d int) (int, error) { return 0, errBoom },
			args: []any{1, 2, 3, 4}, wantErr: "BoomError", params: p("arg1", "int", "arg2", "int", "arg3", "int", "arg4", "int"), result: "int"},
		{name: "record", fn: summarize, args: []any{[]float64{2, 4}}, want: summary{Count: 2, Mean: 3},
			params: p("arg1", "[float]"), result: `{"count": int, "mean": float}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := uncurry.Adapt("f", tt.fn)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Params, tt.params) {
				t.Errorf("Params = %+v, want %+v", f.Params, tt.params)
			}
			if f.Result != tt.result {
				t.Errorf("Result = %q, want %q", f.Result, tt.result)
			}
			reply := handle(t, f, encodeArgs(t, tt.args...))
			if tt.wantErr != "" {
				if x := replyError(t, reply); x.Name != tt.wantErr {
					t.Errorf("error %v, want name %s", x, tt.wantErr)
				}
				return
			}
			if got, want := okValue(t, reply), encodeValue(t, tt.want); !sameValue(got, want) {
				t.Errorf("result %x, want %x (%v)", got, want, tt.want)
			}
		})
	}
}

// TestAdaptInvalid checks that Adapt refuses what is not a function of an allowed shape.
func TestAdaptInvalid(t *testing.T) {
	var nilFunc func(int) int
	tests := []struct {
		name string
		fn   any
		want string
	}{
		{"nil", nil, "uncurry: f: want a function, got <nil>"},
		{"not a function", 42, "uncurry: f: want a function, got int"},
		{"nil func", nilFunc, "uncurry: f: want a function, got func(int) int"},
		{"pointer to func", &nilFunc, "uncurry: f: want a function, got *func(int) int"},
		{"two results", func() (int, int) { return 0, 0 }, "uncurry: f: results must be (), (R), (error) or (R, error), not func() (int, int)"},
		{"error first", func() (error, int) { return nil, 0 }, "uncurry: f: results must be (), (R), (error) or (R, error), not func() (error, int)"},
		{"three results", func() (int, int, error) { return 0, 0, nil }, "uncurry: f: results must be (), (R), (error) or (R, error), not func() (int, int, error)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := uncurry.Adapt("f", tt.fn)
			if err == nil {
				t.Fatalf("Adapt returned %+v, want an error", f)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q\n want %q", err, tt.want)
			}
		})
	}
}

// TestAdaptMatchesGeneric checks that reflection and the generic fast path reply with the same
// bytes and describe the same manifest entry.
func TestAdaptMatchesGeneric(t *testing.T) {
	add := func(a, b int) int { return a + b }
	generic := uncurry.Func2("add", add)
	reflected, err := uncurry.Adapt("add", add)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(generic.Params, reflected.Params) || generic.Result != reflected.Result {
		t.Fatalf("descriptions differ: %+v vs %+v", generic, reflected)
	}
	for _, args := range [][]byte{
		encodeArgs(t, 1, 2),
		encodeArgs(t, -1000, 1<<40),
		encodeArgs(t, 1),
		encodeArgs(t, 1, "x"),
		{0x92, 0x01},
		{0x92, 0x01, 0x02, 0x03},
		{},
	} {
		g, r := handle(t, generic, args), handle(t, reflected, args)
		gx, rx := codec.DecodeReply(g, nil), codec.DecodeReply(r, nil)
		if gx == nil || rx == nil {
			if !bytes.Equal(g, r) {
				t.Errorf("args %x: generic %x, reflection %x", args, g, r)
			}
			continue
		}
		if a, b := gx.(*exceptions.Exception), rx.(*exceptions.Exception); a.Name != b.Name || a.Message != b.Message {
			t.Errorf("args %x: generic %v, reflection %v", args, a, b)
		}
	}
}

// halfEncoder writes part of a value and then fails (or panics), like a result whose encoding
// breaks midway.
type halfEncoder struct{ panics bool }

func (h halfEncoder) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeArrayLen(3); err != nil {
		return err
	}
	if err := enc.EncodeInt(1); err != nil {
		return err
	}
	if h.panics {
		panic("encoder exploded")
	}
	return errors.New("encoder gave up")
}
