package uncurry_test

import (
	"math"
	"testing"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

type point struct {
	X     int    `msgpack:"x"`
	Y     int    `msgpack:"y"`
	Label string `msgpack:"label"`
}

// TestArgumentErrors checks the virgil.ArgumentError messages for arguments that cannot be lifted
// (cabi/ABI.md sections 4 and 7), for the generic constructors and for Adapt alike.
func TestArgumentErrors(t *testing.T) {
	add := func(a, b int) int { return a + b }
	stats := func(xs []float64) summary { return summarize(xs) }
	narrow := func(a int8, b uint16) int { return int(a) + int(b) }
	move := func(p point) point { return p }
	none := func() int { return 0 }
	tests := []struct {
		name    string
		generic *uncurry.Function
		fn      any
		args    []byte
		want    string
	}{
		{"wrong count/too few", uncurry.Func2("add", add), add, encodeArgs(t, 1),
			"add: expected 2 arguments, got 1"},
		{"wrong count/too many", uncurry.Func2("add", add), add, encodeArgs(t, 1, 2, 3),
			"add: expected 2 arguments, got 3"},
		{"wrong count/none", uncurry.Func2("add", add), add, encodeArgs(t),
			"add: expected 2 arguments, got 0"},
		{"wrong count/singular", uncurry.Func1("stats", stats), stats, encodeArgs(t, 1, 2),
			"stats: expected 1 argument, got 2"},
		{"wrong count/zero params", uncurry.Func0("none", none), none, encodeArgs(t, 1),
			"none: expected 0 arguments, got 1"},
		{"wrong type/str for int", uncurry.Func2("add", add), add, encodeArgs(t, 1, "2"),
			"add: argument 2: expected int, got str"},
		{"wrong type/first", uncurry.Func2("add", add), add, encodeArgs(t, true, 2),
			"add: argument 1: expected int, got bool"},
		{"wrong type/float for int", uncurry.Func2("add", add), add, encodeArgs(t, 1, 2.0),
			"add: argument 2: expected int, got float"},
		{"wrong type/nil for int", uncurry.Func2("add", add), add, encodeArgs(t, nil, 2),
			"add: argument 1: expected int, got nil"},
		{"wrong type/bytes for str", uncurry.Func3("join", func(a, b, c string) string { return a + b + c }),
			func(a, b, c string) string { return a + b + c }, encodeArgs(t, "a", "b", []byte("c")),
			"join: argument 3: expected str, got bin"},
		{"nested", uncurry.Func1("stats", stats), stats, encodeArgs(t, []any{1.5, "x"}),
			"stats: argument 1[1]: expected float, got str"},
		{"nested/not a list", uncurry.Func1("stats", stats), stats, encodeArgs(t, "xs"),
			"stats: argument 1: expected array, got str"},
		{"record field", uncurry.Func1("move", move), move, encodeArgs(t, map[string]any{"x": 1, "y": "2"}),
			"move: argument 1.y: expected int, got str"},
		{"record/not a map", uncurry.Func1("move", move), move, encodeArgs(t, []int{1, 2}),
			"move: argument 1: expected map, got array"},
		{"record/missing field", uncurry.Func1("move", move), move, encodeArgs(t, map[string]any{"x": 1, "y": 2}),
			"move: argument 1: point: missing field label"},
		{"record/nested missing field", uncurry.Func1("moves", func(ps []point) int { return len(ps) }), func(ps []point) int { return len(ps) },
			encodeArgs(t, []any{map[string]any{"x": 1}}), "moves: argument 1[0]: point: missing field y"},
		{"record/ambiguous keys", uncurry.Func1("move", move), move, encodeArgs(t, map[string]any{"x": 1, "Y": 2, "y_": 3, "label": ""}),
			`move: argument 1: point: ambiguous keys for field y: "Y", "y_"`},
		{"int overflow/int8", uncurry.Func2("narrow", narrow), narrow, encodeArgs(t, 300, 1),
			"narrow: argument 1: integer 300 out of range [-128, 127]"},
		{"int overflow/negative int8", uncurry.Func2("narrow", narrow), narrow, encodeArgs(t, -129, 1),
			"narrow: argument 1: integer -129 out of range [-128, 127]"},
		{"int overflow/uint16", uncurry.Func2("narrow", narrow), narrow, encodeArgs(t, 1, 70000),
			"narrow: argument 2: integer 70000 out of range [0, 65535]"},
		{"int overflow/negative for uint", uncurry.Func2("narrow", narrow), narrow, encodeArgs(t, 1, -1),
			"narrow: argument 2: integer -1 out of range [0, 65535]"},
		{"int overflow/uint64 for int", uncurry.Func2("add", add), add, encodeArgs(t, uint64(math.MaxUint64), 1),
			"add: argument 1: integer 18446744073709551615 out of range [-9223372036854775808, 9223372036854775807]"},
		{"not an array/int", uncurry.Func2("add", add), add, []byte{0x01},
			"add: malformed arguments: expected array, got int"},
		{"not an array/map", uncurry.Func2("add", add), add, []byte{0x80},
			"add: malformed arguments: expected array, got map"},
		{"not an array/reserved code", uncurry.Func2("add", add), add, []byte{0xc1},
			"add: malformed arguments: expected array, got invalid"},
		{"empty input", uncurry.Func2("add", add), add, nil,
			"add: malformed arguments: expected array, got nothing: truncated input"},
		{"empty input/no params", uncurry.Func0("none", none), none, []byte{},
			"none: malformed arguments: expected array, got nothing: truncated input"},
		{"truncated/array header", uncurry.Func2("add", add), add, []byte{0xdc, 0x00},
			"add: malformed arguments: array header: truncated input"},
		{"truncated/missing element", uncurry.Func2("add", add), add, []byte{0x92, 0x01},
			"add: argument 2: expected int, got nothing"},
		{"truncated/inside an element", uncurry.Func2("add", add), add, []byte{0x92, 0x01, 0xcd, 0x01},
			"add: argument 2: truncated input"},
		{"truncated/inside a list", uncurry.Func1("stats", stats), stats, []byte{0x91, 0x93, 0x01},
			"stats: argument 1: msgpack: truncated input at byte 2"},
		{"trailing bytes", uncurry.Func2("add", add), add, []byte{0x92, 0x01, 0x02, 0x03},
			"add: malformed arguments: unexpected bytes after the value (1)"},
		{"trailing bytes/no params", uncurry.Func0("none", none), none, []byte{0x90, 0x90, 0x90},
			"none: malformed arguments: unexpected bytes after the value (2)"},
	}
	for _, tt := range tests {
		reflected, err := uncurry.Adapt(tt.generic.Name, tt.fn)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			kind string
			fn   *uncurry.Function
		}{{"generic", tt.generic}, {"reflection", reflected}} {
			t.Run(tt.name+"/"+f.kind, func(t *testing.T) {
				x := replyError(t, handle(t, f.fn, tt.args))
				if x.Name != exceptions.ArgumentError {
					t.Errorf("name %q, want %q", x.Name, exceptions.ArgumentError)
				}
				if x.Message != tt.want {
					t.Errorf("message %q\n         want %q", x.Message, tt.want)
				}
				if x.Language != "go" || x.Cause != nil {
					t.Errorf("language %q, cause %v", x.Language, x.Cause)
				}
			})
		}
	}
}

// TestArgumentsAccepted checks the lifting rules that convert rather than refuse.
func TestArgumentsAccepted(t *testing.T) {
	tests := []struct {
		name string
		fn   *uncurry.Function
		args []byte
		want any
	}{
		{"int for float", uncurry.Func2("divide", func(a, b float64) float64 { return a / b }), encodeArgs(t, 1, 4), 0.25},
		{"float32 for float", uncurry.Func1("id", func(a float64) float64 { return a }), encodeArgs(t, float32(0.5)), 0.5},
		{"nil for list", uncurry.Func1("count", func(xs []float64) int { return len(xs) }), encodeArgs(t, nil), 0},
		{"nil for map", uncurry.Func1("count", func(m map[string]int) int { return len(m) }), encodeArgs(t, nil), 0},
		{"nil for pointer", uncurry.Func1("isnil", func(p *point) bool { return p == nil }), encodeArgs(t, nil), true},
		{"unknown record keys ignored", uncurry.Func1("x", func(p point) int { return p.X }),
			encodeArgs(t, map[string]any{"x": 7, "y": 0, "label": "", "z": []any{"ignored"}}), 7},
		{"record keys matched by folded names", uncurry.Func1("label", func(p point) string { return p.Label }),
			encodeArgs(t, map[string]any{"X": 7, "Y": 1, "LABEL": "l"}), "l"},
		{"array16 header", uncurry.Func2("add", func(a, b int) int { return a + b }), []byte{0xdc, 0x00, 0x02, 0x01, 0x02}, 3},
		{"array32 header", uncurry.Func2("add", func(a, b int) int { return a + b }), []byte{0xdd, 0, 0, 0, 0x02, 0x01, 0x02}, 3},
		{"non-canonical int", uncurry.Func2("add", func(a, b int) int { return a + b }), []byte{0x92, 0xd3, 0, 0, 0, 0, 0, 0, 0, 1, 0xcc, 2}, 3},
		{"any", uncurry.Func1("echo", func(v any) any { return v }), encodeArgs(t, map[string]any{"a": []any{1, "b"}}),
			map[string]any{"a": []any{1, "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := okValue(t, handle(t, tt.fn, tt.args)), encodeValue(t, tt.want); !sameValue(got, want) {
				t.Errorf("result %x, want %x", got, want)
			}
		})
	}
}
