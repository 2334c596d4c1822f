package codec_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/internal/edges"
)

// Every case of cabi/testdata/edges.json: decoded as any and encoded back it gives its canonical
// bytes, or it is refused, a limit as a codec.LimitError and anything else not.
func TestEdges(t *testing.T) {
	cases, err := edges.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			d := codec.NewDecoder(c.Bytes())
			var v any
			err := d.Decode(&v)
			if err == nil {
				err = d.End()
			}
			if c.Error != "" {
				if err == nil {
					t.Fatalf("decoded %x as %#v, want it refused (%s)", c.Bytes(), v, c.Error)
				}
				if limit := errors.Is(err, codec.ErrLimit); limit != (c.Error == "virgil.LimitExceeded") {
					t.Fatalf("refused with %v (a limit: %v), want %s", err, limit, c.Error)
				}
				if got := codec.ErrorName(err, edges.Malformed); got != c.Error {
					t.Fatalf("refused as %s (%v), want %s", got, err, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode %x: %v", c.Bytes(), err)
			}
			var buf bytes.Buffer
			if err := codec.NewEncoder(&buf).Encode(v); err != nil {
				t.Fatalf("encode %#v: %v", v, err)
			}
			if !bytes.Equal(buf.Bytes(), c.Canonical()) {
				t.Fatalf("re-encoded\n got %x\nwant %x", buf.Bytes(), c.Canonical())
			}
		})
	}
}

// decodeErr decodes in into a new value of type T and returns the error.
func decodeErr[T any](in []byte) (T, error) {
	var v T
	err := codec.NewDecoder(in).Decode(&v)
	return v, err
}

// wantErr fails unless err is an error containing want and is a limit exactly when limit.
func wantErr(t *testing.T, err error, want string, limit bool) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
	if errors.Is(err, codec.ErrLimit) != limit {
		t.Fatalf("error %v: a limit is %v, want %v", err, !limit, limit)
	}
}

// Extensions other than the timestamp and the closure lift into any as codec.Ext and encode
// back byte for byte; typed targets other than any and Ext refuse them.
func TestExtKeptInAny(t *testing.T) {
	in := []byte{0x92, 0xd4, 0x01, 0x07, 0xc7, 0x03, 0x41, 1, 2, 3}
	var v any
	if err := codec.NewDecoder(in).Decode(&v); err != nil {
		t.Fatal(err)
	}
	want := []any{codec.Ext{Type: 1, Data: []byte{7}}, codec.Ext{Type: 65, Data: []byte{1, 2, 3}}}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("%#v", v)
	}
	if got := encode(t, v); !bytes.Equal(got, in) {
		t.Fatalf("re-encoded %x, want %x", got, in)
	}
	// Inside a struct, through msgpack/v5, it is written the same way.
	type holder struct {
		X codec.Ext `msgpack:"x"`
		A any       `msgpack:"a"`
	}
	h := holder{X: codec.Ext{Type: -2, Data: []byte{1, 2, 3, 4}}, A: codec.Ext{Type: 127, Data: make([]byte, 300)}}
	b := encode(t, h)
	wantBytes := append([]byte{0x82, 0xa1, 'x', 0xd6, 0xfe, 1, 2, 3, 4, 0xa1, 'a', 0xc8, 0x01, 0x2c, 0x7f}, make([]byte, 300)...)
	if !bytes.Equal(b, wantBytes) {
		t.Fatalf("struct encoded as %x", b)
	}
	back, err := decodeErr[holder](b)
	if err != nil || !reflect.DeepEqual(back, h) {
		t.Fatalf("%#v, %v", back, err)
	}
	for _, tc := range []struct {
		into func([]byte) error
		want string
	}{
		{func(b []byte) error { _, err := decodeErr[int](b); return err }, "expected int, got ext 1"},
		{func(b []byte) error { _, err := decodeErr[string](b); return err }, "expected str, got ext 1"},
		{func(b []byte) error { _, err := decodeErr[time.Time](b); return err }, "expected time, got ext 1"},
		{func(b []byte) error { _, err := decodeErr[[]int](append([]byte{0x91}, b...)); return err }, "[0]: expected int, got ext 1"},
		{func(b []byte) error { _, err := decodeErr[codec.Closure](b); return err }, "expected fn, got ext 1"},
	} {
		wantErr(t, tc.into([]byte{0xd4, 0x01, 0x00}), tc.want, false)
	}
	if _, err := decodeErr[codec.Ext]([]byte{0x05}); err == nil || !strings.Contains(err.Error(), "expected ext, got int") {
		t.Fatalf("an Ext from an int: %v", err)
	}
}

// A str must be valid UTF-8 wherever it sits and whatever it is lifted into.
func TestInvalidUTF8Refused(t *testing.T) {
	bad := []byte{0xa2, 0xc3, 0x28}
	type rec struct {
		Name string `msgpack:"name"`
	}
	for name, err := range map[string]error{
		"string":         second(decodeErr[string](bad)),
		"any":            second(decodeErr[any](bad)),
		"[]string":       second(decodeErr[[]string](append([]byte{0x91}, bad...))),
		"struct field":   second(decodeErr[rec](append([]byte{0x81, 0xa4, 'n', 'a', 'm', 'e'}, bad...))),
		"unknown field":  second(decodeErr[rec](append([]byte{0x81, 0xa1, 'x'}, bad...))),
		"struct key":     second(decodeErr[rec](append(append([]byte{0x81}, bad...), 1))),
		"map key":        second(decodeErr[map[string]int](append(append([]byte{0x81}, bad...), 1))),
		"any map key":    second(decodeErr[map[string]any](append(append([]byte{0x81}, bad...), 1))),
		"str8":           second(decodeErr[string]([]byte{0xd9, 0x01, 0xff})),
		"reply":          codec.DecodeReply(append([]byte{0x81, 0xa2, 'o', 'k'}, bad...), new(string)),
		"reply into any": codec.DecodeReply(append([]byte{0x81, 0xa2, 'o', 'k'}, bad...), new(any)),
	} {
		t.Run(name, func(t *testing.T) { wantErr(t, err, "not valid UTF-8", false) })
	}
	if s, err := decodeErr[string]([]byte{0xa2, 0xc3, 0xa9}); err != nil || s != "é" {
		t.Fatalf("%q, %v", s, err)
	}
}

func second[T any](_ T, err error) error { return err }

// Timestamps: invalid ones refused in every form, valid ones written back canonically.
func TestTimestamps(t *testing.T) {
	for _, in := range [][]byte{
		{0xd7, 0xff, 0xee, 0x6b, 0x28, 0x00, 0x00, 0x00, 0x00, 0x01},
		{0xc7, 0x0c, 0xff, 0x3b, 0x9a, 0xca, 0x00, 0, 0, 0, 0, 0, 0, 0, 1},
		{0xc7, 0x03, 0xff, 0, 0, 0},
		{0xd5, 0xff, 0, 0},
	} {
		wantErr(t, second(decodeErr[time.Time](in)), "timestamp", false)
		wantErr(t, second(decodeErr[any](in)), "timestamp", false)
	}
	for _, tc := range []struct {
		tm   time.Time
		want string
	}{
		{time.Unix(1, 0), "d6ff00000001"},
		{time.Unix(1<<32-1, 0), "d6ffffffffff"},
		{time.Unix(1<<32, 0), "d7ff0000000100000000"},
		{time.Unix(1, 5), "d7ff0000001400000001"},
		{time.Unix(1<<34, 0), "c70cff000000000000000400000000"},
		{time.Unix(-1, 5), "c70cff00000005ffffffffffffffff"},
		{time.Unix(0, 999999999), "d7ffee6b27fc00000000"},
	} {
		got := encode(t, tc.tm)
		if hex.EncodeToString(got) != tc.want {
			t.Errorf("%v encoded as %x, want %s", tc.tm, got, tc.want)
		}
		back, err := decodeErr[time.Time](got)
		if err != nil || !back.Equal(tc.tm) {
			t.Errorf("%x decoded as %v, %v", got, back, err)
		}
		// The same instant inside a struct, through msgpack/v5, gives the same bytes.
		if in := encode(t, struct{ T time.Time }{tc.tm}); !bytes.HasSuffix(in, got) {
			t.Errorf("%v in a struct encoded as %x", tc.tm, in)
		}
	}
}

// Duplicate map keys are refused (two keys equal as values), in maps and records alike.
func TestDuplicateKeysRefused(t *testing.T) {
	type rec struct {
		A int `msgpack:"a"`
		B int `msgpack:"b"`
	}
	many := []byte{0x80 | 11}
	for i := range 10 {
		many = append(many, 0xa2, 'k', '0'+byte(i), 0x01)
	}
	many = append(many, 0xa2, 'k', '3', 0x01)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"any, str keys", second(decodeErr[any]([]byte{0x82, 0xa1, 'a', 1, 0xa1, 'a', 2})), `duplicate map key "a"`},
		{"any, int keys", second(decodeErr[any]([]byte{0x82, 1, 1, 1, 2})), "duplicate map key 1"},
		{"any, int keys written two ways", second(decodeErr[any]([]byte{0x82, 1, 1, 0xcd, 0, 1, 2})), "duplicate map key"},
		{"any, nested", second(decodeErr[any]([]byte{0x91, 0x81, 0xa1, 'k', 0x82, 0xa1, 'a', 1, 0xa1, 'a', 2})), `[0].k: duplicate map key "a"`},
		{"map[string]int", second(decodeErr[map[string]int]([]byte{0x82, 0xa1, 'a', 1, 0xa1, 'a', 2})), `duplicate map key "a"`},
		{"map[int]string in a slice", second(decodeErr[[]map[int]string]([]byte{0x91, 0x82, 1, 0xa0, 0xcd, 0, 1, 0xa0})), "[0]: duplicate map key"},
		{"struct, a field twice", second(decodeErr[rec]([]byte{0x82, 0xa1, 'a', 1, 0xa1, 'a', 2})), `duplicate map key "a"`},
		{"struct, an unknown key twice", second(decodeErr[rec]([]byte{0x82, 0xa1, 'x', 1, 0xa1, 'x', 2})), `duplicate map key "x"`},
		{"struct, an unknown key twice among many", second(decodeErr[rec](many)), `duplicate map key "k3"`},
		{"any, NaN keys", second(decodeErr[any](append(append([]byte{0x82, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 1}, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0), 2))), "duplicate map key"},
		{"map[float64]int, NaN keys", second(decodeErr[map[float64]int](append(append([]byte{0x82, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 1}, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0), 2))), "duplicate map key"},
		{"struct field", second(decodeErr[struct{ M map[string]int }]([]byte{0x81, 0xa1, 'M', 0x82, 0xa1, 'a', 1, 0xa1, 'a', 2})), `.M: duplicate map key "a"`},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.err, tc.want, false) })
	}
	if m, err := decodeErr[map[string]any]([]byte{0x82, 0xa1, 'a', 1, 0xa1, 'b', 2}); err != nil || len(m) != 2 {
		t.Fatalf("%v, %v", m, err)
	}
	// Keys are equal when their canonical encodings are: int 1, float 1.0 and true are three
	// keys, and so are a float 32 NaN and a float 64 NaN.
	three := []byte{0x83, 0x01, 0x01, 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x02, 0xc3, 0x03}
	if m, err := decodeErr[any](three); err != nil || len(m.(map[any]any)) != 3 {
		t.Fatalf("%v, %v", m, err)
	}
	nans := []byte{0x82, 0xca, 0x7f, 0xc0, 0, 0, 1, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 2}
	if m, err := decodeErr[any](nans); err != nil || len(m.(map[any]any)) != 2 {
		t.Fatalf("%v, %v", m, err)
	}
}

// Nesting: 512 levels lift, 513 are a limit, for any, for typed targets and in replies.
func TestNestingLimit(t *testing.T) {
	nested := func(n int) []byte { return append(bytes.Repeat([]byte{0x91}, n), 0x01) }
	if _, err := decodeErr[any](nested(512)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, second(decodeErr[any](nested(513))), "nesting deeper than 512", true)
	wantErr(t, second(decodeErr[[]any](nested(513))), "nesting deeper than 512", true)
	ok := []byte{0x81, 0xa2, 'o', 'k'}
	if err := codec.DecodeReply(append(ok, nested(512)...), new(any)); err != nil {
		t.Fatal(err)
	}
	err := codec.DecodeReply(append(ok, nested(513)...), new(any))
	var x *exceptions.Exception
	if !errors.As(err, &x) || x.Name != exceptions.LimitExceeded || !strings.Contains(x.Message, "nesting deeper than 512") {
		t.Fatalf("a reply nested 513 deep: %v", err)
	}
	if err := codec.DecodeReply(append(ok, 0xc1), new(any)); !errors.As(err, &x) || x.Name != exceptions.ResultError {
		t.Fatalf("a malformed reply: %v", err)
	}
	// The encoder refuses what no decoder would take, and so ends a cycle.
	deep := any(1)
	for range 513 {
		deep = []any{deep}
	}
	wantErr(t, codec.NewEncoder(new(bytes.Buffer)).Encode(deep), "nesting deeper than 512", true)
	cycle := []any{nil}
	cycle[0] = cycle
	wantErr(t, codec.NewEncoder(new(bytes.Buffer)).Encode(cycle), "nesting deeper than 512", true)
	m := map[string]any{}
	m["m"] = m
	wantErr(t, codec.NewEncoder(new(bytes.Buffer)).Encode(m), "nesting deeper than 512", true)
}

// map[any]any is written with its keys in the order of their bytes, the same every time.
func TestAnyMapEncodedInKeyOrder(t *testing.T) {
	m := map[any]any{int64(2): "b", "a": 1, int64(1): nil, true: 0, time.Unix(1, 0): 2}
	want := encode(t, m)
	if hex.EncodeToString(want) != "8501c002a162a16101c300d6ff0000000102" {
		t.Fatalf("%x", want)
	}
	for range 20 {
		if got := encode(t, m); !bytes.Equal(got, want) {
			t.Fatalf("%x, then %x", want, got)
		}
	}
	// Go cannot key a map by a byte slice: a bin or extension key lifted into any is refused
	// (not a panic).
	for _, in := range [][]byte{{0x81, 0xd4, 0x01, 0x00, 0x01}, {0x81, 0xc4, 0x00, 0x01}} {
		if _, err := decodeErr[any](in); err == nil || !strings.Contains(err.Error(), "expected a hashable key") {
			t.Fatalf("%x: %v", in, err)
		}
	}
}

// Lifting replaces (cabi/ABI.md section 5): nothing of the target's old value survives, and no
// lifted string, byte slice or extension shares memory with the input, which a host frees right
// after lifting a reply.
func TestLiftReplacesAndNeverAliases(t *testing.T) {
	type inner struct {
		B []byte `msgpack:"b"`
	}
	type rec struct {
		S   string            `msgpack:"s"`
		B   []byte            `msgpack:"b"`
		A   [3]byte           `msgpack:"a"`
		M   map[string][]byte `msgpack:"m"`
		X   any               `msgpack:"x"`
		E   codec.Ext         `msgpack:"e"`
		P   *inner            `msgpack:"p"`
		Xs  []inner           `msgpack:"xs"`
		Old int               `msgpack:"old,omitempty"`
	}
	in := encode(t, map[string]any{
		"s": "text", "b": []byte("bin"), "a": []byte{1, 2}, "m": map[string]any{"k": []byte("mv")},
		"x": []any{"xs", []byte("xb"), codec.Ext{Type: 9, Data: []byte("xe")}, map[string]any{"xk": "xv"}},
		"e": codec.Ext{Type: 3, Data: []byte("ext")}, "p": map[string]any{"b": []byte("pb")},
		"xs": []any{map[string]any{"b": []byte("e0")}},
	})
	scratch := make([]byte, 64)
	v := rec{
		S: "stale", B: scratch[:10], A: [3]byte{9, 9, 9}, M: map[string][]byte{"stale": nil}, Old: 7,
		P: &inner{B: []byte("stale pointer")}, Xs: make([]inner, 3, 8),
	}
	if err := codec.NewDecoder(in).Decode(&v); err != nil {
		t.Fatal(err)
	}
	want := rec{
		S: "text", B: []byte("bin"), A: [3]byte{1, 2, 0}, M: map[string][]byte{"k": []byte("mv")},
		X: []any{"xs", []byte("xb"), codec.Ext{Type: 9, Data: []byte("xe")}, map[string]any{"xk": "xv"}},
		E: codec.Ext{Type: 3, Data: []byte("ext")}, P: &inner{B: []byte("pb")}, Xs: []inner{{B: []byte("e0")}},
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("lifted\n%#v\nwant\n%#v", v, want)
	}
	for i := range in {
		in[i] = 0xee
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("the lifted value changed with its input:\n%#v", v)
	}
	// The fast paths: a string, a reused []byte, an any.
	raw := encode(t, "fast")
	s, _ := decodeErr[string](raw)
	rawBin := encode(t, []byte("reused"))
	dst := make([]byte, 0, 32)
	if err := codec.NewDecoder(rawBin).Decode(&dst); err != nil {
		t.Fatal(err)
	}
	rawAny := encode(t, codec.Ext{Type: 5, Data: []byte("anyext")})
	x, _ := decodeErr[any](rawAny)
	for _, b := range [][]byte{raw, rawBin, rawAny} {
		for i := range b {
			b[i] = 0
		}
	}
	if s != "fast" || string(dst) != "reused" || string(x.(codec.Ext).Data) != "anyext" {
		t.Fatalf("%q %q %#v", s, dst, x)
	}
}
