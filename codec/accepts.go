package codec

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

var (
	timeType          = reflect.TypeFor[time.Time]()
	customDecoderType = reflect.TypeFor[msgpack.CustomDecoder]()
	unmarshalerType   = reflect.TypeFor[msgpack.Unmarshaler]()
)

// Accepts checks that b, one encoded value, can be lifted into Go type t under the lifting rules
// of cabi/ABI.md section 5: integers must fit, floats accept integers, str and bin are not
// interchangeable, nil stands for an empty slice, map or pointer, records ignore unknown keys.
// It returns a *TypeError or *RangeError locating the first mismatch. b must already have been
// validated with Skip.
func Accepts(b []byte, t reflect.Type) error {
	_, err := accepts(b, t, "", 0)
	return err
}

// accepts checks the value at the start of b against t and returns the value's length.
func accepts(b []byte, t reflect.Type, path string, depth int) (int, error) {
	if depth > MaxDepth {
		return 0, fmt.Errorf("%snesting deeper than %d levels", at(path), MaxDepth)
	}
	if len(b) == 0 {
		return 0, ErrTruncated
	}
	if t.Kind() != reflect.Pointer && (reflect.PointerTo(t).Implements(customDecoderType) || reflect.PointerTo(t).Implements(unmarshalerType)) {
		return Skip(b) // the type decodes itself and reports its own errors
	}
	isNil := b[0] == 0xc0
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() > 0 {
			return 0, fmt.Errorf("%svalues cannot be lifted into the interface type %s (only any)", at(path), t)
		}
		return Skip(b)
	case reflect.Bool:
		return wrapPath(readBool(b))(path)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		return wrapPath(readInt(b, -1<<(bits-1), 1<<(bits-1)-1))(path)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return wrapPath(readUint(b, math.MaxUint64>>(64-t.Bits())))(path)
	case reflect.Float32, reflect.Float64:
		return wrapPath(readFloat(b))(path)
	case reflect.String:
		return wrapPath(readString(b))(path)
	case reflect.Pointer:
		if isNil {
			return 1, nil
		}
		return accepts(b, t.Elem(), path, depth)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return wrapPath(readBytes(b))(path)
		}
		if isNil && t.Kind() == reflect.Slice {
			return 1, nil
		}
		return acceptsArray(b, t, path, depth)
	case reflect.Map:
		if isNil {
			return 1, nil
		}
		return acceptsMap(b, t, path, depth)
	case reflect.Struct:
		if t == timeType {
			if KindOf(b) != "time" {
				return 0, &TypeError{Path: path, Want: "time", Got: KindOf(b)}
			}
			return Skip(b)
		}
		if isNil {
			return 1, nil
		}
		return acceptsStruct(b, t, path, depth)
	}
	return 0, fmt.Errorf("%svalues cannot be lifted into Go type %s", at(path), t)
}

// at renders a path as a message prefix: "" for the value itself, else "path: ".
func at(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

// wrapPath adapts a scalar reader's results, adding path to its error.
func wrapPath[T any](_ T, n int, err error) func(string) (int, error) {
	return func(path string) (int, error) {
		switch e := err.(type) {
		case *TypeError:
			e.Path = path
		case *RangeError:
			e.Path = path
		}
		return n, err
	}
}

func acceptsArray(b []byte, t reflect.Type, path string, depth int) (int, error) {
	d := Decoder{b: b}
	n, err := d.ArrayHeader()
	if err != nil {
		return 0, addPath(err, path)
	}
	if t.Kind() == reflect.Array && n > t.Len() {
		return 0, fmt.Errorf("%sexpected at most %d elements, got %d", at(path), t.Len(), n)
	}
	for i := 0; i < n; i++ {
		m, err := accepts(d.Remaining(), t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1)
		if err != nil {
			return 0, err
		}
		d.off += m
	}
	return d.off, nil
}

func acceptsMap(b []byte, t reflect.Type, path string, depth int) (int, error) {
	n, off, err := mapHeader(b)
	if err != nil {
		return 0, addPath(err, path)
	}
	for i := 0; i < n; i++ {
		k, err := accepts(b[off:], t.Key(), path+".<key>", depth+1)
		if err != nil {
			return 0, err
		}
		key := b[off : off+k]
		off += k
		v, err := accepts(b[off:], t.Elem(), path+"."+keyLabel(key), depth+1)
		if err != nil {
			return 0, err
		}
		off += v
	}
	return off, nil
}

func acceptsStruct(b []byte, t reflect.Type, path string, depth int) (int, error) {
	n, off, err := mapHeader(b)
	if err != nil {
		return 0, addPath(err, path)
	}
	fields := structFields(t)
	for i := 0; i < n; i++ {
		name, k, err := readString(b[off:])
		if err != nil {
			return 0, addPath(err, path+".<key>")
		}
		off += k
		ft, known := fields[name]
		var v int
		if known {
			v, err = accepts(b[off:], ft, path+"."+name, depth+1)
		} else {
			v, err = Skip(b[off:])
		}
		if err != nil {
			return 0, err
		}
		off += v
	}
	return off, nil
}

// mapHeader reads a map header: the number of entries and the header's length.
func mapHeader(b []byte) (n, off int, err error) {
	if Kind(b[0]) != "map" {
		return 0, 0, &TypeError{Want: "map", Got: KindOf(b)}
	}
	h, _, children, err := measure(b)
	if err != nil {
		return 0, 0, err
	}
	return int(children / 2), h, nil
}

func addPath(err error, path string) error {
	if te, ok := err.(*TypeError); ok && te.Path == "" {
		te.Path = path
	}
	return err
}

// keyLabel renders a map key for a path: the string itself, else its kind.
func keyLabel(key []byte) string {
	if s, _, err := readString(key); err == nil {
		return s
	}
	return "<" + KindOf(key) + " key>"
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// structFields maps the wire names of t's fields (the msgpack tag, else the field name; embedded
// structs inlined as msgpack/v5 does) to their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		name, skip := WireName(f)
		if skip || len(f.Index) > 1 && !embeddedInline(t, f) {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct && !strings.Contains(f.Tag.Get("msgpack"), ",noinline") && f.Tag.Get("msgpack") == "" {
			continue // its fields are listed on their own
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

// embeddedInline reports whether a promoted field f of t is inlined on the wire, i.e. every
// struct it is promoted through is an untagged embedded struct.
func embeddedInline(t reflect.Type, f reflect.StructField) bool {
	for i := 1; i < len(f.Index); i++ {
		outer := t.FieldByIndex(f.Index[:i])
		if !outer.Anonymous || outer.Tag.Get("msgpack") != "" || outer.Type.Kind() != reflect.Struct {
			return false
		}
	}
	return true
}

// WireName returns the name a struct field has on the wire (its msgpack tag, else its name) and
// whether it is left out (unexported, or tagged "-").
func WireName(f reflect.StructField) (name string, skip bool) {
	if !f.IsExported() && !f.Anonymous {
		return "", true
	}
	tag := f.Tag.Get("msgpack")
	if tag == "-" {
		return "", true
	}
	if name, _, _ = strings.Cut(tag, ","); name != "" {
		return name, false
	}
	return f.Name, false
}
