package codec

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"testing"
)

type blob []byte

// planned is a struct with a plan: exact keys, an alias, a pointer, an inlined struct.
type planned struct {
	Count int       `msgpack:"count"`
	Mean  float64   // required, matched by "Mean" (or, on the general path, "mean")
	Name  string    `msgpack:"name,omitempty"`
	Xs    []float64 `msgpack:"xs"`
	P     *int8     `msgpack:"p"`
	PlannedInner
	Alias uint16 `msgpack:"al,alias:a2"`
}

// PlannedInner is inlined into planned.
type PlannedInner struct {
	Deep [][]string `msgpack:"deep,omitempty"`
}

type hidden struct{ X int }

// unplanned structs take the general path: an unexported embedded struct, a recursive type, a
// field of type any.
type unplanned struct {
	hidden
	Y int
}

type node struct {
	V    int
	Kids []node `msgpack:"kids,omitempty"`
}

type withAny struct {
	A any `msgpack:"a"`
}

// onePassTargets returns fresh pointers to every kind of result a plan exists for, and some it
// does not.
func onePassTargets() []any {
	return []any{
		new(int), new(int8), new(int16), new(int32), new(int64),
		new(uint), new(uint8), new(uint16), new(uint32), new(uint64),
		new(float32), new(float64), new(bool), new(string), new([]byte), new(blob),
		new([]float64), new([]int8), new([]uint), new([]string), new([][]byte), new([][]float64),
		new([]float32), new([]bool), new(any), new([]any), new(map[string]int),
		new(planned), new([]planned), new(*planned), new(*int), new([]*string),
		new(unplanned), new(node), new(withAny),
	}
}

// sameDecoding fails t unless lifting reply into a fresh target of each type by DecodeReplyOf
// (one pass first) and by the general path alone give the same value or the same error.
func sameDecoding(t *testing.T, reply []byte) {
	t.Helper()
	d1, d2 := NewDecoder(nil), NewDecoder(nil)
	for _, target := range onePassTargets() {
		other := reflect.New(reflect.TypeOf(target).Elem()).Interface()
		err1 := DecodeReplyOf(d1, "f", reply, target)
		err2 := decodeReplyGeneral(d2, "f", reply, other)
		if fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Fatalf("%x into %T: one pass %v, general %v", reply, target, err1, err2)
		}
		v1, v2 := reflect.ValueOf(target).Elem().Interface(), reflect.ValueOf(other).Elem().Interface()
		if err1 == nil && !same(v1, v2) {
			t.Fatalf("%x into %T: one pass %#v, general %#v", reply, target, v1, v2)
		}
	}
	checkLifter[int](t, reply)
	checkLifter[int32](t, reply)
	checkLifter[int64](t, reply)
	checkLifter[uint64](t, reply)
	checkLifter[float32](t, reply)
	checkLifter[float64](t, reply)
	checkLifter[bool](t, reply)
	checkLifter[string](t, reply)
	checkLifter[[]byte](t, reply)
	checkLifter[[]float64](t, reply)
}

// same reports whether a and b are the same value, a NaN the same as itself (%#v tells nil
// slices from empty ones and prints maps in key order).
func same(a, b any) bool {
	return reflect.DeepEqual(a, b) || fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

// checkLifter fails t unless ReplyLifter[R] lifts reply as the general path does.
func checkLifter[R any](t *testing.T, reply []byte) {
	t.Helper()
	r1, err1 := NewReplyLifter[R]().Lift(NewDecoder(nil), "f", reply)
	var r2 R
	err2 := decodeReplyGeneral(NewDecoder(nil), "f", reply, &r2)
	if fmt.Sprint(err1) != fmt.Sprint(err2) || err1 == nil && !same(r1, r2) {
		t.Fatalf("%x into %T: lifter %#v, %v; general %#v, %v", reply, r2, r1, err1, r2, err2)
	}
}

func ok(value ...byte) []byte { return append([]byte{0x81, 0xa2, 'o', 'k'}, value...) }

func onePassSeeds() [][]byte {
	var floats bytes.Buffer
	NewEncoder(&floats).Encode([]float64{1.5, -2, math.Inf(1)})
	return [][]byte{
		ok(0x03), ok(0xff), ok(0xcc, 0xff), ok(0xcd, 0x01, 0x00), ok(0xd0, 0x80), ok(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0),
		ok(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), ok(0xce, 0xff, 0xff, 0xff, 0xff),
		ok(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0), ok(0xca, 0x3f, 0xc0, 0, 0), ok(0xcb, 0x3f),
		ok(0xc3), ok(0xc2), ok(0xc0), ok(0xa2, 'h', 'i'), ok(0xa2, 0xc3, 0x28), ok(0xa3, 'h'),
		ok(0xc4, 0x02, 1, 2), ok(0xc4, 0x00), ok(0xc4, 0x05, 1), ok(0x03, 0x00),
		ok(floats.Bytes()...), ok(0x92, 0x01, 0xa1, 'x'), ok(0x92, 0xa1, 'x', 0xa1, 'y'),
		ok(0x92, 0xc4, 0x01, 0x07, 0xc0), ok(0x91, 0x92, 0x01, 0x02), ok(0x90), ok(0xdc, 0x00, 0x01, 0x05),
		ok(0xdd, 0xff, 0xff, 0xff, 0xff, 0x01), ok(0x93, 0xc3, 0xc2), ok(0x92, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0xc1),
		ok(0x91, 0x80), ok(0x81, 0xa1, 'a', 0x01),
		{0x81, 0xa5, 'e', 'r', 'r', 'o', 'r', 0xc0}, {0x82, 0xa2, 'o', 'k', 0x01}, {0x81, 0xd9, 0x02, 'o', 'k', 0x01},
		{}, {0x81}, {0x81, 0xa2, 'o', 'k'},
		okValue(map[string]any{"count": 1, "Mean": 2.5, "xs": []any{1, 2.5}, "p": -3, "deep": []any{[]any{"a"}}, "al": 4}),
		okValue(map[string]any{"count": 1, "Mean": 2.5}),
		okValue(map[string]any{"count": 1}),
		okValue(map[string]any{"count": 1, "mean": 2.5}),
		okValue(map[string]any{"count": 1, "Mean": 2.5, "a2": 7}),
		okValue(map[string]any{"count": 1, "Mean": 2.5, "al": 7, "a2": 8}),
		okValue(map[string]any{"count": 1, "Mean": 2.5, "PlannedInner": map[string]any{"deep": nil}}),
		okValue(map[string]any{"count": 1, "Mean": 2.5, "p": nil, "name": "x", "other": 1}),
		okValue(map[string]any{"count": 1, "Mean": 2.5, "p": 300}),
		okValue([]any{map[string]any{"count": 1, "Mean": 2.5}, nil}),
		okValue(map[string]any{"X": 1, "Y": 2}),
		okValue(map[string]any{"V": 1, "kids": []any{map[string]any{"V": 2}}}),
		okValue(map[string]any{"a": 1}),
		okValue([]any{"x", nil}),
		ok(0x82, 0xa5, 'c', 'o', 'u', 'n', 't', 0x01, 0xa5, 'c', 'o', 'u', 'n', 't', 0x02),
	}
}

// okValue is the success envelope of v.
func okValue(v any) []byte {
	var buf bytes.Buffer
	if err := NewEncoder(&buf).EncodeOK(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// TestOnePassMatchesGeneral: the one pass over a reply (and the typed ReplyLifter) accepts what
// the general path accepts, lifts it to the same value, and leaves every refusal to the general
// path's words.
func TestOnePassMatchesGeneral(t *testing.T) {
	for _, reply := range onePassSeeds() {
		sameDecoding(t, reply)
	}
}

// FuzzOnePass is TestOnePassMatchesGeneral on any reply.
func FuzzOnePass(f *testing.F) {
	for _, reply := range onePassSeeds() {
		f.Add(reply)
	}
	f.Fuzz(func(t *testing.T, reply []byte) { sameDecoding(t, reply) })
}

// A slice result's memory is reused when it is large enough, as the general path reuses it.
func TestOnePassReusesSlices(t *testing.T) {
	xs := make([]float64, 4)
	p := &xs[0]
	if err := DecodeReplyOf(NewDecoder(nil), "f", ok(0x92, 0x01, 0x02), &xs); err != nil {
		t.Fatal(err)
	}
	if len(xs) != 2 || &xs[0] != p || xs[1] != 2 {
		t.Fatalf("got %v", xs)
	}
}

// AppenderFor writes what the Encoder writes.
func TestAppenderMatchesEncoder(t *testing.T) {
	check := func(v any, got []byte, err error) {
		t.Helper()
		var want bytes.Buffer
		werr := NewEncoder(&want).Encode(v)
		if fmt.Sprint(err) != fmt.Sprint(werr) || !bytes.Equal(got, append([]byte{0x90}, want.Bytes()...)) {
			t.Fatalf("%T %v: appended %x (%v), the Encoder writes %x (%v)", v, v, got, err, want.Bytes(), werr)
		}
	}
	for _, v := range []int64{0, 1, 127, 128, -1, -32, -33, -129, math.MaxInt64, math.MinInt64, 1 << 40} {
		got, err := AppenderFor[int]()([]byte{0x90}, int(v))
		check(int(v), got, err)
		got, err = AppenderFor[int64]()([]byte{0x90}, v)
		check(v, got, err)
		got, err = AppenderFor[int32]()([]byte{0x90}, int32(v))
		check(int32(v), got, err)
		got, err = AppenderFor[uint64]()([]byte{0x90}, uint64(v))
		check(uint64(v), got, err)
		got, err = AppenderFor[uint]()([]byte{0x90}, uint(v))
		check(uint(v), got, err)
		got, err = AppenderFor[float64]()([]byte{0x90}, float64(v))
		check(float64(v), got, err)
		got, err = AppenderFor[float32]()([]byte{0x90}, float32(v))
		check(float32(v), got, err)
		got, err = AppenderFor[int8]()([]byte{0x90}, int8(v))
		check(int8(v), got, err)
	}
	for _, s := range []string{"", "x", string(make([]byte, 40)), string(make([]byte, 300)), string(make([]byte, 70000))} {
		got, err := AppenderFor[string]()([]byte{0x90}, s)
		check(s, got, err)
		got, err = AppenderFor[[]byte]()([]byte{0x90}, []byte(s))
		check([]byte(s), got, err)
	}
	got, err := AppenderFor[[]byte]()([]byte{0x90}, nil)
	check([]byte(nil), got, err)
	got, err = AppenderFor[bool]()([]byte{0x90}, true)
	check(true, got, err)
	got, err = AppenderFor[map[string]int]()([]byte{0x90}, map[string]int{"a": 1}) // one key: msgpack/v5 writes map[string]int keys unsorted
	check(map[string]int{"a": 1}, got, err)
	got, err = AppenderFor[chan int]()([]byte{0x90}, nil)
	check((chan int)(nil), got, err)
}

// The types with plans have them (so the comparisons above exercise the one pass), and the
// others do not.
func TestPlansExist(t *testing.T) {
	for _, target := range []any{new(planned), new([]planned), new(*planned), new([]*string), new(blob), new([][]float64)} {
		if planOf(reflect.TypeOf(target).Elem()) == nil {
			t.Errorf("%T has no plan", target)
		}
	}
	for _, target := range []any{new(unplanned), new(node), new(withAny), new([]any), new(map[string]int)} {
		if planOf(reflect.TypeOf(target).Elem()) != nil {
			t.Errorf("%T has a plan", target)
		}
	}
	var p planned
	reply := okValue(map[string]any{"count": 1, "Mean": 2.5, "xs": []any{1, 2.5}, "p": -3, "deep": []any{[]any{"a"}}, "al": 4})
	if !NewDecoder(nil).onePass(reply[len(okHeader):], &p) || p.Count != 1 || *p.P != -3 || p.Deep[0][0] != "a" || p.Alias != 4 {
		t.Fatalf("one pass: %+v", p)
	}
}
