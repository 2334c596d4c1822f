package exceptions

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The wire form of attributes (cabi/ABI.md, section 6): a map keyed by str, keys in ascending
// byte order, values in their canonical encoding (section 5); read leniently, within the limits.

// writeAttributes writes the "attributes" entry when there are attributes:
// keys in ascending byte order, values in their canonical encoding.
func (w *recordWriter) attributes(attrs Attributes) {
	if len(attrs) == 0 {
		return
	}
	w.str("attributes")
	w.mapLen(len(attrs))
	for _, k := range sortedKeys(attrs) {
		w.str(k)
		w.value(attrs[k], 0)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// value writes one attribute value canonically (cabi/ABI.md, section 5).
// Values nested deeper than MaxNesting are written as nil, which no decoder
// would have produced and no writer should have made.
func (w *recordWriter) value(v any, depth int) {
	if w.err != nil {
		return
	}
	if depth > MaxNesting {
		w.check(w.enc.EncodeNil())
		return
	}
	switch x := v.(type) {
	case nil:
		w.check(w.enc.EncodeNil())
	case bool:
		w.check(w.enc.EncodeBool(x))
	case int64:
		w.check(w.enc.EncodeInt(x))
	case int:
		w.check(w.enc.EncodeInt(int64(x)))
	case uint64:
		w.check(w.enc.EncodeUint(x))
	case float64:
		w.check(w.enc.EncodeFloat64(x))
	case float32:
		w.check(w.enc.EncodeFloat32(x))
	case string:
		w.str(x)
	case []byte:
		w.check(w.enc.EncodeBytes(x))
	case time.Time:
		w.check(w.enc.EncodeTime(x))
	case []any:
		w.arrayLen(len(x))
		for _, item := range x {
			w.value(item, depth+1)
		}
	case map[string]any:
		w.mapLen(len(x))
		for _, k := range sortedKeys(x) {
			w.str(k)
			w.value(x[k], depth+1)
		}
	case map[any]any:
		w.mapLen(len(x))
		for k, item := range x {
			w.value(k, depth+1)
			w.value(item, depth+1)
		}
	default:
		w.check(w.enc.Encode(x))
	}
}

// readAttributes reads the "attributes" value of a record, which sits at
// nesting depth depth. A value that is not a map is skipped (readers ignore
// what they cannot use); non-string keys are skipped with their values.
func (r reader) attributes(where loc, depth int) (Attributes, error) {
	c, err := r.peek(where)
	if err != nil {
		return nil, err
	}
	if !isMap(c) {
		return nil, r.skip(where, depth)
	}
	n, err := r.dec.DecodeMapLen()
	if err != nil {
		return nil, r.wrap(where, err)
	}
	if n > MaxAttributes {
		return nil, fail(where, "%d attributes, more than %d", n, MaxAttributes)
	}
	attrs := make(Attributes, n)
	for range n {
		key, ok, err := r.key(where, depth+1)
		if err != nil {
			return nil, err
		}
		if !ok {
			if err := r.skip(where, depth+1); err != nil {
				return nil, err
			}
			continue
		}
		v, err := r.value(where, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%w (attribute %q)", err, key)
		}
		attrs[key] = v
	}
	if len(attrs) == 0 {
		return nil, nil
	}
	return attrs, nil
}

// value reads one value of any type as its natural Go value, refusing
// containers nested deeper than MaxNesting (depth is the nesting depth a
// container read here would have).
func (r reader) value(where loc, depth int) (any, error) {
	c, err := r.peek(where)
	if err != nil {
		return nil, err
	}
	switch {
	case isArray(c):
		if depth > MaxNesting {
			return nil, fail(where, "%v", errTooDeep)
		}
		n, err := r.dec.DecodeArrayLen()
		if err != nil {
			return nil, r.wrap(where, err)
		}
		items := make([]any, 0, min(n, 64))
		for range n {
			v, err := r.value(where, depth+1)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		return items, nil
	case isMap(c):
		if depth > MaxNesting {
			return nil, fail(where, "%v", errTooDeep)
		}
		return r.mapValue(where, depth)
	case isInt(c):
		if c == msgpcode.Uint64 {
			u, err := r.dec.DecodeUint64()
			if err != nil {
				return nil, r.wrap(where, err)
			}
			if u > math.MaxInt64 {
				return u, nil
			}
			return int64(u), nil
		}
		n, err := r.dec.DecodeInt64()
		if err != nil {
			return nil, r.wrap(where, err)
		}
		return n, nil
	case c == msgpcode.Float:
		f, err := r.dec.DecodeFloat32()
		if err != nil {
			return nil, r.wrap(where, err)
		}
		return float64(f), nil
	}
	v, err := r.dec.DecodeInterfaceLoose() // a scalar: nil, bool, float, str, bin, ext
	if err != nil {
		return nil, r.wrap(where, err)
	}
	return v, nil
}

// mapValue reads a map: map[string]any when every key is a string, else
// map[any]any (keys that are arrays or maps, which Go cannot key a map by,
// are an error).
func (r reader) mapValue(where loc, depth int) (any, error) {
	n, err := r.dec.DecodeMapLen()
	if err != nil {
		return nil, r.wrap(where, err)
	}
	keys := make([]any, 0, min(n, 64))
	vals := make([]any, 0, min(n, 64))
	allStr := true
	for range n {
		k, err := r.value(where, depth+1)
		if err != nil {
			return nil, err
		}
		switch k.(type) {
		case string:
		case []any, map[string]any, map[any]any, []byte:
			return nil, fail(where, "a map key of type %T in an attribute", k)
		default:
			allStr = false
		}
		v, err := r.value(where, depth+1)
		if err != nil {
			return nil, err
		}
		keys, vals = append(keys, k), append(vals, v)
	}
	if allStr {
		m := make(map[string]any, len(keys))
		for i, k := range keys {
			m[k.(string)] = vals[i]
		}
		return m, nil
	}
	m := make(map[any]any, len(keys))
	for i, k := range keys {
		m[k] = vals[i]
	}
	return m, nil
}
