package codec

import (
	"reflect"
	"strconv"
	"strings"
)

// A Go map key must be hashable. Where a map's key type holds an interface (map[any]V, or keys
// such as [2]any or struct{ K any }), msgpack/v5 decodes whatever the key holds into it and
// panics ("hash of unhashable type []uint8") when that is a byte string, a list or a map. Accepts
// rejects such keys first with checkHashable.

// holdsInterface reports whether a value of type t, decoded by msgpack/v5, can hold an interface
// value that takes part in hashing t: t is an interface, or an array or plain struct with such a
// part. Pointers are hashed by address, and types that decode themselves are their own business.
func holdsInterface(t reflect.Type) bool {
	switch {
	case selfDecoding(t):
		return false
	case t.Kind() == reflect.Interface:
		return true
	case t.Kind() == reflect.Array:
		return holdsInterface(t.Elem())
	case t.Kind() == reflect.Struct && t != timeType:
		for _, f := range wireFields(t).keys {
			if holdsInterface(f.typ) {
				return true
			}
		}
	}
	return false
}

// checkHashable checks that the key b, already checked against key type t by accepts, puts only
// hashable values into the interfaces in t, for which holdsInterface holds. It returns a
// *TypeError located in the key.
func checkHashable(b []byte, t reflect.Type) error {
	if b[0] == 0xc0 {
		return nil
	}
	switch t.Kind() {
	case reflect.Interface:
		switch kind := KindOf(b); {
		case kind == "bin", kind == "array", kind == "map":
			return &TypeError{Want: "a hashable key", Got: kind}
		case strings.HasPrefix(kind, "ext ") && kind != "ext 64": // an Ext holds a []byte
			return &TypeError{Want: "a hashable key", Got: kind}
		}
		return nil
	case reflect.Array:
		if Kind(b[0]) == "bin" {
			return nil // a byte array
		}
		n, off, _ := arrayHeader(b)
		return hashableElems(b[off:], n, func(int) reflect.Type { return t.Elem() })
	default: // reflect.Struct
		w := wireFields(t)
		if Kind(b[0]) == "array" {
			n, off, _ := arrayHeader(b)
			return hashableElems(b[off:], n, func(i int) reflect.Type { return w.fields[i].typ })
		}
		n, off, _ := mapHeader(b)
		for range n {
			name, k, err := strBytes(b[off:])
			if err != nil {
				return err
			}
			off += k
			v, err := Skip(b[off:])
			if err != nil {
				return err
			}
			f, known := w.keys[string(name)]
			if slot := w.foldedSlot(name); !known && slot >= 0 {
				f, known = w.rule[slot].field, true // it may match by its folded name
			}
			if known && holdsInterface(f.typ) {
				if err := checkHashable(b[off:off+v], f.typ); err != nil {
					return prefixPath(err, "."+string(name))
				}
			}
			off += v
		}
		return nil
	}
}

// hashableElems runs checkHashable on the n values at the start of b, the i-th of type typ(i).
func hashableElems(b []byte, n int, typ func(int) reflect.Type) error {
	off := 0
	for i := range n {
		m, err := Skip(b[off:])
		if err != nil {
			return err
		}
		if t := typ(i); holdsInterface(t) {
			if err := checkHashable(b[off:off+m], t); err != nil {
				return prefixPath(err, "["+strconv.Itoa(i)+"]")
			}
		}
		off += m
	}
	return nil
}
