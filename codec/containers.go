package codec

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"strconv"

	"github.com/virgilffi/virgil/scan"
)

// acceptsArray checks an array against slice or array type t. Each element's path segment
// ("[2]") is made only when that element fails.
func acceptsArray(b []byte, t reflect.Type, depth int) (int, error) {
	n, off, err := arrayHeader(b)
	if err != nil {
		return 0, err
	}
	if t.Kind() == reflect.Array && n > t.Len() {
		return 0, liftErrorf("expected at most %d elements, got %d", t.Len(), n)
	}
	elem := t.Elem()
	self := selfDecoding(elem)
	for i := range n {
		m, err := acceptsElem(b[off:], elem, self, depth+1)
		if err != nil {
			return 0, prefixPath(err, "["+strconv.Itoa(i)+"]")
		}
		off += m
	}
	return off, nil
}

// acceptsElem is accepts with selfDecoding(t) computed once by the caller.
func acceptsElem(b []byte, t reflect.Type, self bool, depth int) (int, error) {
	if self {
		return Skip(b)
	}
	return acceptsKind(b, t, depth)
}

// acceptsMap checks a map against map type t. A key is located as ".<key>", a value by its key
// (".name", or ".<int key>" for a key that is no string).
func acceptsMap(b []byte, t reflect.Type, depth int) (int, error) {
	n, off, err := mapHeader(b)
	if err != nil {
		return 0, err
	}
	kt, vt := t.Key(), t.Elem()
	kself, vself := selfDecoding(kt), selfDecoding(vt)
	hashCheck := holdsInterface(kt)
	for range n {
		k, err := acceptsElem(b[off:], kt, kself, depth+1)
		if err == nil && hashCheck {
			err = checkHashable(b[off:off+k], kt)
		}
		if err != nil {
			return 0, prefixPath(err, ".<key>")
		}
		key := b[off : off+k]
		off += k
		v, err := acceptsElem(b[off:], vt, vself, depth+1)
		if err != nil {
			return 0, prefixPath(err, "."+keyLabel(key))
		}
		off += v
	}
	return off, nil
}

// acceptsStruct checks a map (or, for a struct msgpack/v5 writes as an array, an array) against
// struct type t under the struct rule (see rule.go): keys match fields exactly, else by their
// folded names; every required field is matched; unknown keys are skipped.
func acceptsStruct(b []byte, t reflect.Type, depth int) (int, error) {
	w := wireFields(t)
	if w.endless {
		return 0, liftErrorf("values cannot be lifted into Go type %s: msgpack/v5 inlines its embedded structs forever", t)
	}
	if w.asArray && Kind(b[0]) == "array" {
		return acceptsArrayStruct(b, w, depth)
	}
	n, start, err := mapHeader(b)
	if err != nil {
		return 0, err
	}
	var exact, folded, twice slots
	var others otherKeys
	off, foldedKeys := start, false
	for range n {
		name, k, err := strBytes(b[off:])
		if err != nil {
			return 0, prefixPath(err, ".<key>")
		}
		off += k
		var v int
		if f, known := w.keys[string(name)]; known {
			if exact.has(f.slot) {
				return 0, duplicateKey(b[off-k : off])
			}
			exact.add(f.slot)
			v, err = acceptsElem(b[off:], f.typ, f.selfDecoding, depth+1)
			if err != nil {
				return 0, prefixPath(err, "."+string(name))
			}
		} else {
			if others.seen(name) {
				return 0, duplicateKey(b[off-k : off])
			}
			if slot := w.foldedSlot(name); slot >= 0 {
				foldedKeys = true
				if folded.has(slot) {
					twice.add(slot)
				}
				folded.add(slot)
			}
			if v, err = Skip(b[off:]); err != nil {
				return 0, err
			}
		}
		off += v
	}
	if foldedKeys {
		if err := acceptsFolded(b[start:], n, w, &exact, &twice, depth); err != nil {
			return 0, err
		}
		for i := range w.rule {
			if folded.has(i) {
				exact.add(i)
			}
		}
	}
	if r, missing := w.missing(&exact); missing {
		return 0, &FieldError{Struct: w.name, Field: r.name, Problem: "missing"}
	}
	return off, nil
}

// otherKeys remembers the keys of a struct's map that match no field exactly, to refuse one met
// twice. It starts empty at no cost (a struct whose keys all match fields never uses it); the
// first few keys are compared one by one, past them a set takes over.
type otherKeys struct {
	few  [][]byte
	many map[string]struct{}
}

// seen reports whether key was met before, and remembers it.
func (o *otherKeys) seen(key []byte) bool {
	if o.many != nil {
		if _, ok := o.many[string(key)]; ok {
			return true
		}
		o.many[string(key)] = struct{}{}
		return false
	}
	for _, k := range o.few {
		if string(k) == string(key) {
			return true
		}
	}
	if len(o.few) < 8 {
		o.few = append(o.few, key)
		return false
	}
	o.many = make(map[string]struct{}, 16)
	for _, k := range o.few {
		o.many[string(k)] = struct{}{}
	}
	o.many[string(key)] = struct{}{}
	return false
}

// acceptsFolded is the second pass of acceptsStruct over the n entries at the start of b, for
// maps with keys matching fields by their folded names only: it checks the values of those
// that match a field no key matches exactly, and refuses two keys for one such field.
func acceptsFolded(b []byte, n int, w *wireStruct, exact, twice *slots, depth int) error {
	off := 0
	for range n {
		name, k, _ := strBytes(b[off:])
		off += k
		v, err := Skip(b[off:])
		if err != nil {
			return err
		}
		if _, known := w.keys[string(name)]; !known {
			if slot := w.foldedSlot(name); slot >= 0 && !exact.has(slot) {
				if twice.has(slot) {
					return &FieldError{Struct: w.name, Field: w.rule[slot].name, Problem: "ambiguous", Keys: foldedKeys(b, n, w, slot)}
				}
				f := w.rule[slot].field
				if _, err := acceptsElem(b[off:off+v], f.typ, f.selfDecoding, depth+1); err != nil {
					return prefixPath(err, "."+string(name))
				}
			}
		}
		off += v
	}
	return nil
}

// foldedKeys lists the keys among the n entries at the start of b that match slot by their
// folded names, for an error.
func foldedKeys(b []byte, n int, w *wireStruct, slot int) []string {
	var keys []string
	off := 0
	for range n {
		name, k, _ := strBytes(b[off:])
		off += k
		v, _ := Skip(b[off:])
		off += v
		if _, known := w.keys[string(name)]; !known && w.foldedSlot(name) == slot {
			keys = append(keys, string(name))
		}
	}
	return keys
}

// acceptsArrayStruct checks the array form of a struct tagged as_array: empty, or one element
// per field, in order.
func acceptsArrayStruct(b []byte, w *wireStruct, depth int) (int, error) {
	n, off, err := arrayHeader(b)
	if err != nil {
		return 0, err
	}
	if n != 0 && n != len(w.fields) {
		return 0, liftErrorf("expected an array of %d fields, got %d elements", len(w.fields), n)
	}
	for i := range n {
		f := w.fields[i]
		m, err := acceptsElem(b[off:], f.typ, f.selfDecoding, depth+1)
		if err != nil {
			return 0, prefixPath(err, "["+strconv.Itoa(i)+"]")
		}
		off += m
	}
	return off, nil
}

// arrayHeader reads an array header: the number of elements and the header's length.
func arrayHeader(b []byte) (n, off int, err error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("expected array, got nothing: %w", ErrTruncated)
	}
	c := b[0]
	switch {
	case c >= 0x90 && c <= 0x9f:
		return int(c & 0x0f), 1, nil
	case c == 0xdc && len(b) >= 3:
		return int(binary.BigEndian.Uint16(b[1:])), 3, nil
	case c == 0xdd && len(b) >= 5:
		return int(binary.BigEndian.Uint32(b[1:])), 5, nil
	case c == 0xdc || c == 0xdd:
		return 0, 0, fmt.Errorf("array header: %w", ErrTruncated)
	}
	return 0, 0, &TypeError{Want: "array", Got: KindOf(b)}
}

// mapHeader reads a map header: the number of entries and the header's length.
func mapHeader(b []byte) (n, off int, err error) {
	if len(b) == 0 || Kind(b[0]) != "map" {
		return 0, 0, &TypeError{Want: "map", Got: KindOf(b)}
	}
	h, _, children, err := scan.Header(b)
	if err != nil {
		return 0, 0, err
	}
	return int(children / 2), h, nil
}

// strBytes reads a str at the start of b without copying it: its bytes and the value's length.
func strBytes(b []byte) ([]byte, int, error) {
	head, n, err := strOrBin(b, "str")
	if err != nil {
		return nil, 0, err
	}
	return b[head : head+n], head + n, nil
}

// keyLabel renders a map key for a path: the string itself, else its kind.
func keyLabel(key []byte) string {
	if s, _, err := strBytes(key); err == nil {
		return string(s)
	}
	return "<" + KindOf(key) + " key>"
}
