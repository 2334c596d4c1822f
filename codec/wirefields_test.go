package codec

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// The embedded test types are exported: msgpack/v5 cannot allocate an embedded pointer to an
// unexported type (see the "unexported embedded *T" case).

type Inner struct {
	X int
	Y string `msgpack:"y"`
}

type Mid struct {
	*Inner
	M int
}

type wfHidden struct{ X int }

type wfCount int

// Text and Text2 encode themselves as text, so msgpack/v5 does not inline them. Embedded alone,
// either would lend its methods to the outer struct, which would then encode itself; embedded
// together, their methods collide and neither is promoted.
type Text struct{ S string }

func (t Text) MarshalText() ([]byte, error)  { return []byte(t.S), nil }
func (t *Text) UnmarshalText(b []byte) error { t.S = string(b); return nil }

type Text2 struct{ S string }

func (t Text2) MarshalText() ([]byte, error)  { return []byte(t.S), nil }
func (t *Text2) UnmarshalText(b []byte) error { t.S = string(b); return nil }

// wireCases are struct values, filled so that no field is empty, whose layout is checked against
// what msgpack/v5 writes.
var wireCases = []struct {
	name  string
	value any
}{
	{"plain", struct {
		A int
		B string `msgpack:"b"`
		c int
		D int `msgpack:"-"`
		E int `msgpack:",omitempty"`
		F int `msgpack:"-,"`
		G int `msgpack:"g,omitempty"`
	}{1, "b", 2, 3, 4, 5, 6}},
	{"embedded T", struct {
		Inner
		Z int
	}{Inner{1, "y"}, 2}},
	{"embedded *T", struct {
		*Inner
		Z int
	}{&Inner{1, "y"}, 2}},
	{"tagged embedded", struct {
		Inner `msgpack:"in"`
		Z     int
	}{Inner{1, "y"}, 2}},
	{"noinline", struct {
		Inner `msgpack:",noinline"`
		Z     int
	}{Inner{1, "y"}, 2}},
	{"noinline *T", struct {
		*Inner `msgpack:"in,noinline"`
	}{&Inner{1, "y"}}},
	{"inline skips taken keys", struct {
		A     int `msgpack:"X"`
		Inner `msgpack:",inline"`
	}{1, Inner{2, "y"}}},
	{"collision stops auto inlining", struct {
		X int
		Inner
	}{1, Inner{2, "y"}}},
	{"alias takes a key", struct {
		A int `msgpack:"a,alias:y"`
		Inner
	}{1, Inner{2, "y"}}},
	{"later field repeats a key", struct {
		Inner
		X string
	}{Inner{1, "y"}, "x"}},
	{"duplicate tags", struct {
		A int `msgpack:"k"`
		B int `msgpack:"k"`
	}{1, 2}},
	{"unexported embedded", struct {
		wfHidden
		Z int
	}{wfHidden{1}, 2}},
	{"unexported embedded *T", struct {
		*wfHidden
	}{&wfHidden{1}}},
	{"two levels", struct {
		Mid
		Z int
	}{Mid{&Inner{1, "y"}, 2}, 3}},
	{"embedded non-struct", struct {
		wfCount
		Z int
	}{4, 2}},
	{"embedded time (the struct encodes itself)", struct {
		time.Time
		N int
	}{time.Unix(1, 0), 2}},
	{"embedded text marshalers", struct {
		Text
		Text2
		N int
	}{Text{"s"}, Text2{"t"}, 2}},
	{"quoted tag name", struct {
		A int `msgpack:"'a,b'"`
	}{1}},
	{"as_array", struct {
		_msgpack struct{} `msgpack:",as_array"`
		A        int
		Inner
	}{A: 1, Inner: Inner{2, "y"}}},
}

// TestWireFieldsMatchMsgpack encodes each case with msgpack/v5 itself and compares the keys it
// wrote, in order, with wireFields; then decodes the bytes back and checks that every field
// wireFields says decodes a key sits at its index path.
func TestWireFieldsMatchMsgpack(t *testing.T) {
	for _, tc := range wireCases {
		t.Run(tc.name, func(t *testing.T) {
			typ := reflect.TypeOf(tc.value)
			w := wireFields(typ)
			b, err := msgpack.Marshal(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range w.fields {
				names = append(names, f.name)
			}
			if !plainStruct(typ) {
				if Kind(b[0]) == "map" || Kind(b[0]) == "array" {
					t.Fatalf("msgpack/v5 wrote %x for a type that encodes itself", b)
				}
				return
			}
			written, asArray := writtenKeys(t, b)
			if asArray != w.asArray {
				t.Fatalf("msgpack/v5 wrote an array: %v; wireFields says %v", asArray, w.asArray)
			}
			if asArray {
				if written != len(names) {
					t.Fatalf("msgpack/v5 wrote %d elements, wireFields has %d fields", written, len(names))
				}
			} else if got := keysOf(t, b); !slices.Equal(got, names) {
				t.Fatalf("msgpack/v5 wrote keys %q, wireFields has %q", got, names)
			}
			if unique := slices.Compact(slices.Sorted(slices.Values(names))); len(unique) < len(names) {
				return // a repeated key: msgpack/v5 decodes both values into one field
			}
			back := reflect.New(typ)
			if panicked := msgpackUnmarshal(t, b, back.Interface()); panicked != nil {
				// msgpack/v5 cannot set an embedded pointer to an unexported type; a Decoder
				// reports that as an error.
				t.Logf("msgpack/v5 panicked: %v", panicked)
				if err := NewDecoder(b).Decode(reflect.New(typ).Interface()); err == nil || !strings.Contains(err.Error(), "panicked") {
					t.Errorf("Decoder: %v", err)
				}
				return
			}
			orig := reflect.ValueOf(tc.value)
			for _, f := range w.fields {
				if !slices.Equal(w.keys[f.name].index, f.index) {
					continue // written twice; the other field decodes it
				}
				want, err := orig.FieldByIndexErr(f.index)
				if err != nil {
					t.Fatal(err)
				}
				got, err := back.Elem().FieldByIndexErr(f.index)
				if err != nil {
					t.Fatalf("%s: %v", f.name, err)
				}
				if f.typ != got.Type() {
					t.Errorf("%s: type %s, field has %s", f.name, f.typ, got.Type())
				}
				if !reflect.DeepEqual(got.Interface(), want.Interface()) {
					t.Errorf("%s at %v: decoded %v, want %v", f.name, f.index, got, want)
				}
			}
		})
	}
}

// msgpackUnmarshal decodes b into v with msgpack/v5 itself, returning what it panicked with.
func msgpackUnmarshal(t *testing.T, b []byte, v any) (panicked any) {
	t.Helper()
	defer func() { panicked = recover() }()
	if err := msgpack.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
	return nil
}

// writtenKeys reads the header msgpack/v5 wrote: the number of entries and whether it is an
// array.
func writtenKeys(t *testing.T, b []byte) (int, bool) {
	t.Helper()
	if Kind(b[0]) == "array" {
		n, _, err := arrayHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		return n, true
	}
	n, _, err := mapHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	return n, false
}

// keysOf lists the keys of the encoded map b in order, repeats included.
func keysOf(t *testing.T, b []byte) []string {
	t.Helper()
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	n, err := dec.DecodeMapLen()
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for range n {
		k, err := dec.DecodeString()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		if err := dec.Skip(); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// Keys that are only read: an inlined struct's own name, and aliases.
func TestWireFieldsReadOnlyKeys(t *testing.T) {
	type aliased struct {
		Inner `msgpack:"in"`
		A     int `msgpack:"a,alias:alpha"`
	}
	w := wireFields(reflect.TypeFor[aliased]())
	for key, typ := range map[string]reflect.Type{"in": reflect.TypeFor[Inner](), "alpha": reflect.TypeFor[int](), "X": reflect.TypeFor[int]()} {
		if f, ok := w.keys[key]; !ok || f.typ != typ {
			t.Errorf("key %q: %v, %v", key, f.typ, ok)
		}
	}
	// msgpack/v5 agrees: both decode.
	var v aliased
	if err := msgpack.Unmarshal([]byte("\x82\xa2in\x81\xa1X\x07\xa5alpha\x03"), &v); err != nil || v.X != 7 || v.A != 3 {
		t.Fatalf("%+v, %v", v, err)
	}
}

// Accepts reports inlined fields by their keys, however they are embedded.
func TestAcceptsInlinedFields(t *testing.T) {
	in := []byte("\x81\xa1X\xa3two") // {"X": "two"}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[struct{ Inner }](),
		reflect.TypeFor[struct{ *Inner }](),
		reflect.TypeFor[struct {
			Inner `msgpack:"in"`
		}](),
		reflect.TypeFor[struct{ Mid }](),
		reflect.TypeFor[struct{ wfHidden }](),
	} {
		err := Accepts(in, typ)
		if err == nil || err.Error() != ".X: expected int, got str" {
			t.Errorf("%s: %v", typ, err)
		}
	}
	// Under ",noinline" the embedded struct is a field of its own, and X an unknown key.
	if err := Accepts(in, reflect.TypeFor[struct {
		Inner `msgpack:",noinline"`
	}]()); err == nil || err.Error() != "record: missing field Inner" {
		t.Errorf("noinline: %v", err)
	}
	inner := []byte("\x81\xa5Inner\x81\xa1y\x05") // {"Inner": {"y": 5}}
	if err := Accepts(inner, reflect.TypeFor[struct {
		Inner `msgpack:",noinline"`
	}]()); err == nil || err.Error() != ".Inner.y: expected str, got int" {
		t.Errorf("noinline field: %v", err)
	}
}

func TestTypeNameFollowsWireFields(t *testing.T) {
	for _, tc := range []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[struct {
			*Inner
			Z int
		}](), `{"X": int, "y": str, "Z": int}`},
		{reflect.TypeFor[struct {
			Inner `msgpack:"in"`
		}](), `{"X": int, "y": str}`},
		{reflect.TypeFor[struct {
			Inner `msgpack:"in,noinline"`
		}](), `{"in": {"X": int, "y": str}}`},
		{reflect.TypeFor[struct {
			Inner
			X string
		}](), `{"X": str, "y": str}`},
		{reflect.TypeFor[struct {
			time.Time
			N int `msgpack:"n"`
		}](), `any`}, // it has time.Time's methods, so it encodes itself as a bin
		{reflect.TypeFor[struct {
			Text
			Text2
		}](), `{"Text": any, "Text2": any}`},
		{reflect.TypeFor[struct {
			_msgpack struct{} `msgpack:",as_array"`
			A        int
		}](), `[any]`},
	} {
		if got := TypeName(tc.typ); got != tc.want {
			t.Errorf("TypeName(%s) = %s, want %s", tc.typ, got, tc.want)
		}
	}
}

type wfNode struct {
	*wfNode
	V int
}

// msgpack/v5 inlines type T struct{ *T } forever and dies of a stack overflow, which recover
// cannot catch; Accepts refuses the type instead.
func TestAcceptsRefusesEndlessInlining(t *testing.T) {
	w := wireFields(reflect.TypeFor[wfNode]())
	if !w.endless {
		t.Fatal("not marked endless")
	}
	err := Accepts([]byte("\x81\xa1V\x01"), reflect.TypeFor[wfNode]())
	if err == nil || !strings.Contains(err.Error(), "inlines its embedded structs forever") {
		t.Fatalf("error %v", err)
	}
	if err := NewDecoder([]byte{0x80}).Decode(new(wfNode)); err == nil {
		t.Fatal("decoded")
	}
}

// A struct written as an array is accepted as one: empty, or one element per field.
func TestAcceptsArrayStruct(t *testing.T) {
	type pair struct {
		_msgpack struct{} `msgpack:",as_array"`
		A        int
		B        string
	}
	typ := reflect.TypeFor[pair]()
	for in, want := range map[string]string{
		"\x92\x01\xa1b":          "",
		"\x90":                   "",
		"\x82\xa1A\x01\xa1B\xa0": "",
		"\x81\xa1A\x01":          "pair: missing field B",
		"\x92\xa1a\xa1b":         "[0]: expected int, got str",
		"\x91\x01":               "expected an array of 2 fields, got 1 elements",
		"\x81\xa1B\x01":          ".B: expected str, got int",
		"\xa1x":                  "expected map, got str",
	} {
		err := Accepts([]byte(in), typ)
		if got := errText(err); got != want {
			t.Errorf("Accepts(%x) = %q, want %q", in, got, want)
		}
		if want == "" {
			var p pair
			if err := NewDecoder([]byte(in)).Decode(&p); err != nil {
				t.Errorf("Decode(%x): %v", in, err)
			}
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
