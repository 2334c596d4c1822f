package codec_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/internal/typedjson"
)

// Untagged Go structs, spelled as Go spells them.
type Summary struct {
	Count int
	Mean  float64
	Min   float64
	Max   float64
}

type Limits struct {
	MaxValue int
	MinValue int
	Note     *string
}

type optionals struct {
	A int   `msgpack:"a,omitempty"`
	B int   `msgpack:"b,omitzero"`
	C *int  `msgpack:"c"`
	D any   `msgpack:"d"`
	E []int `msgpack:"e"` // required: a slice is no optional
}

type allOptional struct {
	_msgpack struct{} `msgpack:",omitempty"`
	A        int
	B        string
}

type twins struct {
	MaxValue  int
	Max_Value int `msgpack:"max_value"` // folds like MaxValue: each matches only exactly
}

func TestStructRule(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any // encoded with encode
		into any
		want any    // the value, when there is no error
		err  string // the error's text
	}{
		{"exact", map[string]any{"Count": 3, "Mean": 2.0, "Min": 1.0, "Max": 3.0}, new(Summary), Summary{3, 2, 1, 3}, ""},
		{"lower case", map[string]any{"count": 3, "mean": 2.0, "min": 1.0, "max": 3.0}, new(Summary), Summary{3, 2, 1, 3}, ""},
		{"int for float", map[string]any{"count": 3, "mean": 2, "min": 1, "max": 3}, new(Summary), Summary{3, 2, 1, 3}, ""},
		{"unknown keys", map[string]any{"count": 3, "mean": 2.0, "min": 1.0, "max": 3.0, "median": "n/a"}, new(Summary), Summary{3, 2, 1, 3}, ""},
		{"missing", map[string]any{"count": 3, "min": 1.0, "max": 3.0}, new(Summary), nil, "Summary: missing field Mean"},
		{"folded type error", map[string]any{"count": "3", "mean": 2.0, "min": 1.0, "max": 3.0}, new(Summary), nil, ".count: expected int, got str"},
		{"snake", map[string]any{"max_value": 10, "min_value": 1}, new(Limits), Limits{MaxValue: 10, MinValue: 1}, ""},
		{"kebab", map[string]any{"max-value": 10, "min-value": 1, "note": nil}, new(Limits), Limits{MaxValue: 10, MinValue: 1}, ""},
		{"exact wins over folded", map[string]any{"MaxValue": 10, "max_value": "ignored", "MAX_VALUE": "ignored", "min_value": 1}, new(Limits), Limits{MaxValue: 10, MinValue: 1}, ""},
		{"ambiguous", map[string]any{"max_value": 10, "MAX_VALUE": 11, "min_value": 1}, new(Limits), nil, `Limits: ambiguous keys for field MaxValue: "MAX_VALUE", "max_value"`},
		{"optionals absent", map[string]any{"e": nil}, new(optionals), optionals{}, ""},
		{"slice required", map[string]any{}, new(optionals), nil, "optionals: missing field e"},
		{"struct-wide omitempty", map[string]any{}, new(allOptional), allOptional{}, ""},
		{"nil record", nil, new(Summary), Summary{}, ""},
		{"nested missing", []any{map[string]any{"count": 1, "mean": 1, "min": 1, "max": 1}, map[string]any{"count": 1}}, new([]Summary), nil, "[1]: Summary: missing field Mean"},
		{"twins match exactly", map[string]any{"MaxValue": 1, "max_value": 2}, new(twins), twins{1, 2}, ""},
		{"twins do not fold", map[string]any{"maxvalue": 1, "max_value": 2}, new(twins), nil, "twins: missing field MaxValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := codec.NewDecoder(encode(t, tc.in)).Decode(tc.into)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := reflect.ValueOf(tc.into).Elem().Interface(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// A FieldError is typed, so callers can tell a missing field from an ambiguous one.
func TestFieldErrorIsTyped(t *testing.T) {
	err := codec.NewDecoder(encode(t, []any{map[string]any{"count": 1}})).Decode(new([]Summary))
	var fe *codec.FieldError
	if !errors.As(err, &fe) || fe.Path != "[0]" || fe.Struct != "Summary" || fe.Field != "Mean" || fe.Problem != "missing" {
		t.Fatalf("%#v", err)
	}
}

// The target is replaced, not merged into: fields the map leaves out are zero.
func TestLiftReplacesTheTarget(t *testing.T) {
	note := "old"
	l := Limits{MaxValue: 5, MinValue: 5, Note: &note}
	if err := codec.NewDecoder(encode(t, map[string]any{"max_value": 1, "min_value": 2})).Decode(&l); err != nil {
		t.Fatal(err)
	}
	if l != (Limits{MaxValue: 1, MinValue: 2}) {
		t.Fatalf("%+v", l)
	}
	m := map[string]int{"stale": 1}
	if err := codec.NewDecoder(encode(t, map[string]int{"a": 1})).Decode(&m); err != nil || len(m) != 1 || m["a"] != 1 {
		t.Fatalf("%v %v", m, err)
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"MaxValue": "maxvalue", "max_value": "maxvalue", "max-value": "maxvalue", "MAX_VALUE": "maxvalue", "maxValue": "maxvalue", "é_X": "é" + "x"} {
		if got := codec.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// Integers lifted into any are int64 (uint64 above math.MaxInt64) wherever they sit.
func TestAnyIntegersAreInt64(t *testing.T) {
	in := encode(t, []any{1, -1, 200, 70000, -70000, int64(math.MinInt64), uint64(math.MaxInt64), uint64(math.MaxUint64),
		map[string]any{"k": 5, "l": []any{6}}, map[int]any{7: 8}})
	check := func(where string, got any) {
		t.Helper()
		want := []any{int64(1), int64(-1), int64(200), int64(70000), int64(-70000), int64(math.MinInt64), int64(math.MaxInt64), uint64(math.MaxUint64),
			map[string]any{"k": int64(5), "l": []any{int64(6)}}, map[any]any{int64(7): int64(8)}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v", where, got)
		}
	}
	var v any
	if err := codec.NewDecoder(in).Decode(&v); err != nil {
		t.Fatal(err)
	}
	check("any", v)
	var xs []any
	if err := codec.NewDecoder(in).Decode(&xs); err != nil {
		t.Fatal(err)
	}
	check("[]any", xs)
	var s struct{ V any }
	if err := codec.NewDecoder(encode(t, map[string]any{"V": v})).Decode(&s); err != nil {
		t.Fatal(err)
	}
	check("struct field", s.V)
	var m map[string]any
	if err := codec.NewDecoder(encode(t, map[string]any{"v": v})).Decode(&m); err != nil {
		t.Fatal(err)
	}
	check("map[string]any", m["v"])
	var p *any
	if err := codec.NewDecoder(in).Decode(&p); err != nil {
		t.Fatal(err)
	}
	check("*any", *p)
	// Other families keep their natural types.
	var o []any
	if err := codec.NewDecoder(encode(t, []any{float32(1.5), 2.5, "s", []byte{1}, []byte{}, nil, true})).Decode(&o); err != nil {
		t.Fatal(err)
	}
	if want := []any{float32(1.5), 2.5, "s", []byte{1}, []byte{}, nil, true}; !reflect.DeepEqual(o, want) {
		t.Fatalf("%#v", o)
	}
}

// structsDoc is cabi/testdata/structs.json.
type structsDoc struct {
	Types map[string][][3]any `json:"types"`
	Cases []struct {
		Name  string          `json:"name"`
		Type  string          `json:"type"`
		Hex   string          `json:"hex"`
		Value json.RawMessage `json:"value"`
		Error *struct {
			Kind  string `json:"kind"`
			Field string `json:"field"`
		} `json:"error"`
	} `json:"cases"`
}

// goName spells a snake_case field name as Go does: max_value is MaxValue.
func goName(snake string) string {
	var sb strings.Builder
	for part := range strings.SplitSeq(snake, "_") {
		if part != "" {
			sb.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return sb.String()
}

// structsTypes builds an untagged Go struct per declared record, with reflect.StructOf.
func structsTypes(t *testing.T, decl map[string][][3]any) map[string]reflect.Type {
	types := map[string]reflect.Type{}
	var build func(name string) reflect.Type
	var typeOf func(s string) reflect.Type
	typeOf = func(s string) reflect.Type {
		switch {
		case strings.HasSuffix(s, "?"):
			return reflect.PointerTo(typeOf(strings.TrimSuffix(s, "?")))
		case strings.HasPrefix(s, "["):
			return reflect.SliceOf(typeOf(s[1 : len(s)-1]))
		}
		switch s {
		case "int":
			return reflect.TypeFor[int64]()
		case "uint":
			return reflect.TypeFor[uint64]()
		case "float":
			return reflect.TypeFor[float64]()
		case "str":
			return reflect.TypeFor[string]()
		case "bytes":
			return reflect.TypeFor[[]byte]()
		case "bool":
			return reflect.TypeFor[bool]()
		case "any":
			return reflect.TypeFor[any]()
		}
		if _, ok := decl[s]; ok {
			return build(s)
		}
		t.Fatalf("structs.json: unknown type %q", s)
		return nil
	}
	build = func(name string) reflect.Type {
		if typ, ok := types[name]; ok {
			return typ
		}
		var fields []reflect.StructField
		for _, f := range decl[name] {
			fields = append(fields, reflect.StructField{Name: goName(f[0].(string)), Type: typeOf(f[1].(string))})
		}
		types[name] = reflect.StructOf(fields)
		return types[name]
	}
	for name := range decl {
		build(name)
	}
	return types
}

// natural turns a lifted struct back into the natural value structs.json states: a map keyed by
// the snake_case names.
func natural(v reflect.Value, decl map[string][][3]any, typeName string) any {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return natural(v.Elem(), decl, strings.TrimSuffix(typeName, "?"))
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Bytes()
		}
		xs := make([]any, v.Len())
		for i := range xs {
			xs[i] = natural(v.Index(i), decl, typeName[1:len(typeName)-1])
		}
		return xs
	case reflect.Struct:
		m := map[string]any{}
		for i, f := range decl[typeName] {
			m[f[0].(string)] = natural(v.Field(i), decl, f[1].(string))
		}
		return m
	}
	return v.Interface()
}

// TestStructsVectors runs cabi/testdata/structs.json: each declared record is an untagged Go
// struct spelled the Go way.
func TestStructsVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(typedjson.RepoRoot(), "cabi", "testdata", "structs.json"))
	if err != nil {
		t.Skip(err)
	}
	var doc structsDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	types := structsTypes(t, doc.Types)
	for _, c := range doc.Cases {
		t.Run(c.Name, func(t *testing.T) {
			in, err := hex.DecodeString(c.Hex)
			if err != nil {
				t.Fatal(err)
			}
			out := reflect.New(types[c.Type])
			err = codec.NewDecoder(in).Decode(out.Interface())
			if c.Error != nil {
				if err == nil {
					t.Fatalf("lifted %+v, want a %s error", out.Elem(), c.Error.Kind)
				}
				msg := codec.Fold(err.Error())
				if !strings.Contains(msg, codec.Fold(c.Error.Field)) || c.Error.Kind != "type" && !strings.Contains(msg, c.Error.Kind) {
					t.Fatalf("error %q, want %s of field %q", err, c.Error.Kind, c.Error.Field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := typedjson.Parse(c.Value)
			if err != nil {
				t.Fatal(err)
			}
			if err := typedjson.Equal(want, natural(out.Elem(), doc.Types, c.Type)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
