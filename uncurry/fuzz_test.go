package uncurry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/internal/typedjson"
	"github.com/virgilffi/virgil/uncurry"
)

// fuzzed are the functions FuzzHandler feeds: scalars, a list, any value, records, and the
// reflection path.
var fuzzed = func() []*uncurry.Function {
	adapted, err := uncurry.Adapt("span", func(from, to time.Time, unit string, xs ...int8) (int, error) {
		return int(to.Sub(from)) + len(unit) + len(xs), nil
	})
	if err != nil {
		panic(err)
	}
	return []*uncurry.Function{
		uncurry.Func2("add", add),
		uncurry.Func1E("stats", func(xs []float64) (summary, error) {
			if len(xs) == 0 {
				return summary{}, &namedError{name: "ValueError", msg: "stats of an empty list"}
			}
			return summarize(xs), nil
		}),
		uncurry.Func1("echo", func(v any) any { return v }),
		uncurry.Func1("echo_shape", func(s shape) shape { return s }),
		uncurry.Proc2("store", func(k []byte, m map[string]*point) {}),
		adapted,
	}
}()

// FuzzHandler feeds arbitrary bytes as arguments to adapted functions: a handler never panics
// and always replies with exactly one valid envelope; a failure is virgil.ArgumentError naming
// the function (or the function's own ValueError), never a panic or a broken result.
func FuzzHandler(f *testing.F) {
	for _, seed := range [][]byte{
		encodeArgs(f, 1, 2),
		encodeArgs(f, 1, "2"),
		encodeArgs(f, []float64{1, 2.5, -3}),
		encodeArgs(f, []any{}),
		encodeArgs(f, map[string]any{"a": []any{1, nil, true, "s", []byte("b"), 1.5, map[string]any{}}}),
		encodeArgs(f, map[string]any{"name": "n", "points": []any{map[string]any{"x": 1, "y": 2}}, "at": time.Unix(1, 2)}),
		encodeArgs(f, []byte("k"), map[string]any{"p": nil}),
		encodeArgs(f, time.Unix(0, 0), time.Unix(1<<40, 1), "s", []int{1, -1}),
		{0x91, 0x81, 0x01, 0x02},                   // a map with an integer key
		{0x91, 0xd4, 0x05, 0x00},                   // an unknown extension type
		{0x91, 0xd6, 0xff, 0, 0, 0, 1},             // a timestamp 32
		{0x91, 0xc7, 0x01, 0x40, 0x00},             // a reserved Virgil extension
		{0x91, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1}, // NaN
		{0x92, 0x01},
		{0x90, 0x90},
		{0xc1},
		{},
	} {
		f.Add(seed)
	}
	vectors, err := typedjson.LoadVectors()
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range vectors {
		f.Add(append([]byte{0x91}, v.Bytes()...))
	}
	f.Fuzz(func(t *testing.T, args []byte) {
		for _, fn := range fuzzed {
			var w replyBuffer
			fn.Handler(&w, args)
			ok, _, err := codec.SplitEnvelope(w.Bytes())
			if err != nil {
				t.Fatalf("%s(%x): reply %x is not one envelope: %v", fn.Name, args, w.Bytes(), err)
			}
			if ok {
				continue
			}
			x := replyError(t, w.Bytes())
			switch {
			case (x.Name == exceptions.ArgumentError || x.Name == exceptions.LimitExceeded) && strings.HasPrefix(x.Message, fn.Name+": "):
				// A limit of cabi/ABI.md section 11 (nesting beyond 512) is virgil.LimitExceeded.
			case x.Name == "ValueError" && fn.Name == "stats":
			default:
				t.Errorf("%s(%x): unexpected failure %v", fn.Name, args, x)
			}
		}
	})
}
