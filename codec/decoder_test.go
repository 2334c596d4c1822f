package codec_test

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/virgilffi/virgil/codec"
)

type point struct {
	X, Y  int
	Label string `msgpack:"label"`
	Skip  string `msgpack:"-"`
}

type stats struct {
	Count int     `msgpack:"count"`
	Mean  float64 `msgpack:"mean"`
}

func encode(t testing.TB, vs ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := codec.NewEncoder(&buf)
	for _, v := range vs {
		if err := e.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestRoundTripTypes(t *testing.T) {
	when := time.Date(2024, 2, 29, 12, 0, 0, 5, time.UTC)
	for _, v := range []any{
		0, -1, 300, int64(math.MinInt64), uint64(math.MaxUint64), 2.5, float32(1.25), true, "héllo", []byte{1, 2},
		[]int{1, 2, 3}, map[string]int{"a": 1, "b": 2}, point{1, 2, "p", ""}, &point{X: 3}, when,
		[]stats{{1, 1.5}}, map[int]string{1: "one"}, [][]string{{"a"}, nil},
	} {
		b := encode(t, v)
		out := reflect.New(reflect.TypeOf(v))
		d := codec.NewDecoder(b)
		if err := d.Decode(out.Interface()); err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if err := d.End(); err != nil {
			t.Fatal(err)
		}
		got := out.Elem().Interface()
		if tm, ok := got.(time.Time); ok {
			if !tm.Equal(when) {
				t.Errorf("time: got %v", tm)
			}
			continue
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("%T: got %#v, want %#v", v, got, v)
		}
	}
}

func TestStructsAreMapsByFieldName(t *testing.T) {
	b := encode(t, stats{Count: 3, Mean: 2})
	want := []byte("\x82\xa5count\x03\xa4mean\xcb\x40\x00\x00\x00\x00\x00\x00\x00")
	if !bytes.Equal(b, want) {
		t.Fatalf("got %x, want %x", b, want)
	}
	// Unknown keys are ignored; a missing required field is an error (see rule_test.go).
	s := stats{Count: 7, Mean: 7}
	if err := codec.NewDecoder(encode(t, map[string]any{"count": 1, "extra": []int{1}, "mean": 2})).Decode(&s); err != nil || s != (stats{Count: 1, Mean: 2}) {
		t.Fatalf("got %+v, %v", s, err)
	}
	if err := codec.NewDecoder(encode(t, map[string]any{"count": 1})).Decode(&s); err == nil || err.Error() != "stats: missing field mean" {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestLiftingRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		into any
		want string // "" for success
	}{
		{"int from str", encode(t, "two"), new(int), "expected int, got str"},
		{"int from float", encode(t, 2.5), new(int), "expected int, got float"},
		{"int8 overflow", encode(t, 300), new(int8), "out of range"},
		{"uint from negative", encode(t, -1), new(uint), "out of range"},
		{"int64 from uint64 max", encode(t, uint64(math.MaxUint64)), new(int64), "out of range"},
		{"float from int", encode(t, 4), new(float64), ""},
		{"float from str", encode(t, "x"), new(float64), "expected float, got str"},
		{"str from bin", encode(t, []byte("x")), new(string), "expected str, got bin"},
		{"bytes from str", encode(t, "x"), new([]byte), "expected bin, got str"},
		{"slice element", encode(t, []any{1.0, "x"}), new([]float64), "[1]: expected float, got str"},
		{"struct field", encode(t, map[string]any{"count": "x"}), new(stats), ".count: expected int, got str"},
		{"struct from array", encode(t, []int{1}), new(stats), "expected map, got array"},
		{"nil slice", encode(t, nil), new([]int), ""},
		{"nil pointer", encode(t, nil), new(*point), ""},
		{"time from int", encode(t, 5), new(time.Time), "expected time, got int"},
		{"any takes anything", encode(t, []any{map[int]any{1: nil}}), new(any), ""},
		{"map key", encode(t, map[string]int{"a": 1}), new(map[int]int), ".<key>: expected int, got str"},
		{"bool from int", encode(t, 1), new(bool), "expected bool, got int"},
		{"float32 from float64", encode(t, 2.5), new(float32), ""},
		{"float32 from int", encode(t, 2), new(float32), ""},
		{"interface with methods", encode(t, 1), new(fmt.Stringer), "cannot be lifted into the interface type fmt.Stringer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := codec.NewDecoder(tc.in).Decode(tc.into)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// Nothing a Decoder returns may point into its input: replies are freed right after decoding.
func TestDecodedValuesDoNotAliasInput(t *testing.T) {
	in := encode(t, []any{"text", []byte("bytes"), map[string]any{"k": "v"}})
	var s []any
	if err := codec.NewDecoder(in).Decode(&s); err != nil {
		t.Fatal(err)
	}
	var str string
	var bin []byte
	codec.NewDecoder(encode(t, "fast")).Decode(&str)
	raw := encode(t, []byte("fastbin"))
	codec.NewDecoder(raw).Decode(&bin)
	for i := range in {
		in[i] = 0xff
	}
	for i := range raw {
		raw[i] = 0
	}
	if s[0] != "text" || string(s[1].([]byte)) != "bytes" || s[2].(map[string]any)["k"] != "v" || string(bin) != "fastbin" {
		t.Fatalf("decoded values changed with their input: %#v %q", s, bin)
	}
}

func TestDecoderTrailingAndArrays(t *testing.T) {
	d := codec.NewDecoder([]byte{0x92, 0x01, 0x02, 0xc0})
	n, err := d.ArrayHeader()
	if err != nil || n != 2 {
		t.Fatal(n, err)
	}
	var a, b int
	d.Decode(&a)
	d.Decode(&b)
	if a != 1 || b != 2 || d.End() == nil {
		t.Fatalf("a=%d b=%d end=%v", a, b, d.End())
	}
	if _, err := codec.NewDecoder([]byte{0x81, 0x01, 0x02}).ArrayHeader(); err == nil || !strings.Contains(err.Error(), "expected array, got map") {
		t.Fatalf("got %v", err)
	}
	if _, err := codec.NewDecoder([]byte{0xdc, 0x00}).ArrayHeader(); err == nil {
		t.Fatal("a truncated array16 header must fail")
	}
}

func TestNilBytesEncodeAsEmptyBin(t *testing.T) {
	if b := encode(t, []byte(nil)); !bytes.Equal(b, []byte{0xc4, 0x00}) {
		t.Fatalf("got %x", b)
	}
}
