package codec_test

import (
	"bytes"
	"encoding"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/virgilffi/virgil/codec"
)

// A successful Accepts builds no paths and allocates nothing.
func TestAcceptsSuccessAllocatesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		typ  reflect.Type
	}{
		{"[]float64 of 1000", floatSlice(t, 1000), reflectTypeOf[[]float64]()},
		{"[]stats", encode(t, []stats{{1, 2}, {3, 4}}), reflectTypeOf[[]stats]()},
		{"map[string][]int", encode(t, map[string][]int{"a": {1}, "b": {2, 3}}), reflectTypeOf[map[string][]int]()},
		{"map[any]any", encode(t, map[any]any{"a": 1, 2: "b"}), reflectTypeOf[map[any]any]()},
	} {
		if err := codec.Accepts(tc.in, tc.typ); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := testing.AllocsPerRun(100, func() { codec.Accepts(tc.in, tc.typ) }); n != 0 {
			t.Errorf("%s: %v allocations", tc.name, n)
		}
	}
}

// Error locations are built from the inside out; these are the texts callers see.
func TestAcceptsErrorPaths(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		typ  reflect.Type
		want string
	}{
		{"value", encode(t, "x"), reflectTypeOf[float64](), "expected float, got str"},
		{"element", encode(t, []any{1.0, "x"}), reflectTypeOf[[]float64](), "[1]: expected float, got str"},
		{"field", encode(t, map[string]any{"count": "x"}), reflectTypeOf[stats](), ".count: expected int, got str"},
		{"field of an element", encode(t, []any{map[string]any{"count": 1, "mean": 2.0}, map[string]any{"count": "x"}}), reflectTypeOf[[]stats](), "[1].count: expected int, got str"},
		{"element of a map value", encode(t, map[string]any{"k": []any{1, "x"}}), reflectTypeOf[map[string][]int](), ".k[1]: expected int, got str"},
		{"map key", encode(t, map[string]int{"a": 1}), reflectTypeOf[map[int]int](), ".<key>: expected int, got str"},
		{"value under an int key", encode(t, map[int]any{7: "x"}), reflectTypeOf[map[int]int](), ".<int key>: expected int, got str"},
		{"struct key", []byte{0x81, 0x01, 0x01}, reflectTypeOf[stats](), ".<key>: expected str, got int"},
		{"missing field", encode(t, map[string]any{"count": 1}), reflectTypeOf[stats](), "stats: missing field mean"},
		{"missing field of an element", encode(t, []any{map[string]any{"count": 1, "mean": 2.0}, map[string]any{"mean": 1}}), reflectTypeOf[[]stats](), "[1]: stats: missing field count"},
		{"folded key, wrong type", encode(t, map[string]any{"COUNT": "x", "mean": 1}), reflectTypeOf[stats](), ".COUNT: expected int, got str"},
		{"ambiguous keys", encode(t, map[string]any{"COUNT": 1, "Count": 2, "mean": 1}), reflectTypeOf[stats](), `stats: ambiguous keys for field count: "COUNT", "Count"`},
		{"range", encode(t, []int{1, 300}), reflectTypeOf[[]int8](), "[1]: integer 300 out of range [-128, 127]"},
		{"array too long", encode(t, []int{1, 2, 3}), reflectTypeOf[[2]int](), "expected at most 2 elements, got 3"},
		{"array too long, nested", encode(t, [][]int{{1, 2, 3}}), reflectTypeOf[[][2]int](), "[0]: expected at most 2 elements, got 3"},
		{"interface with methods", encode(t, []int{1}), reflectTypeOf[[]interface{ M() }](), "[0]: values cannot be lifted into the interface type interface { M() } (only any)"},
		{"unmarshaler interface", encode(t, "x"), reflectTypeOf[encoding.TextUnmarshaler](), "values cannot be lifted into the interface type encoding.TextUnmarshaler (only any)"},
		{"unliftable", encode(t, map[string]int{"c": 1}), reflectTypeOf[map[string]chan int](), ".c: values cannot be lifted into Go type chan int"},
		{"container header", encode(t, map[string]any{"xs": "x"}), reflectTypeOf[map[string][]int](), ".xs: expected array, got str"},
		{"time", encode(t, []any{5}), reflectTypeOf[[]*time.Time](), "[0]: expected time, got int"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := codec.Accepts(tc.in, tc.typ)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("Accepts = %q, want %q", got, tc.want)
			}
		})
	}
}

type nest []nest

// Accepts has its own depth limit, for callers that skipped Skip.
func TestAcceptsDepthLimit(t *testing.T) {
	ok := append(bytes.Repeat([]byte{0x91}, codec.MaxDepth), 0x90)
	if err := codec.Accepts(ok, reflectTypeOf[nest]()); err != nil {
		t.Fatal(err)
	}
	deep := append(bytes.Repeat([]byte{0x91}, codec.MaxDepth+1), 0x90)
	err := codec.Accepts(deep, reflectTypeOf[nest]())
	if err == nil || !strings.HasSuffix(err.Error(), "[0]: nesting deeper than 512 levels") {
		t.Fatal(err)
	}
}

// Types that decode themselves through encoding.BinaryUnmarshaler or TextUnmarshaler are left to
// msgpack/v5 and their own methods, as for msgpack's own interfaces: netip.Addr crosses as the
// bin its MarshalBinary writes, not as a map.
func TestAcceptsSelfDecodingTypes(t *testing.T) {
	type host struct {
		Addr  netip.Addr   `msgpack:"addr"`
		Peers []netip.Addr `msgpack:"peers"`
	}
	want := host{netip.MustParseAddr("10.0.0.1"), []netip.Addr{netip.MustParseAddr("::1")}}
	var got host
	if err := codec.NewDecoder(encode(t, want)).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	// Their own errors still come back as errors.
	if err := codec.NewDecoder(encode(t, map[string]any{"addr": []byte{1, 2, 3}})).Decode(&got); err == nil {
		t.Fatal("a 3-byte address decoded")
	}
}
