package exceptions

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The wire form of attributes (cabi/ABI.md, section 6): a map keyed by str, keys in ascending
// byte order, values in their canonical encoding (section 5); read leniently, within the limits.

// attributes writes the "attributes" entry of the level at nesting depth
// depth (the outermost record is at 1) when there are attributes: keys in
// ascending byte order, values in their canonical encoding.
func (w *recordWriter) attributes(attrs Attributes, depth int) {
	if len(attrs) == 0 {
		return
	}
	w.str("attributes")
	w.mapLen(len(attrs))
	for _, k := range sortedKeys(attrs) {
		w.str(k)
		w.value(attrs[k], depth+2)
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
// depth is the nesting depth a container written here has, counted as
// decoders count it; a value nested deeper than MaxNesting is an error, as
// no decoder would read it.
func (w *recordWriter) value(v any, depth int) {
	if w.err != nil {
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
	case msgpack.RawMessage: // an extension this package does not know, kept as it came
		w.check(w.enc.Encode(x))
	case []any:
		if w.tooDeep(depth) {
			return
		}
		w.arrayLen(len(x))
		for _, item := range x {
			w.value(item, depth+1)
		}
	case map[string]any:
		if w.tooDeep(depth) {
			return
		}
		w.mapLen(len(x))
		for _, k := range sortedKeys(x) {
			w.str(k)
			w.value(x[k], depth+1)
		}
	case map[any]any:
		if w.tooDeep(depth) {
			return
		}
		w.anyMap(x, depth)
	default: // any other Go value: its natural form first, so it is written canonically
		natural, ok := naturalValue(reflect.ValueOf(x))
		if !ok {
			w.check(fmt.Errorf("attribute value of type %T cannot be encoded", x))
			return
		}
		w.value(natural, depth)
	}
}

// tooDeep fails the writer when a container at depth would be nested deeper
// than MaxNesting.
func (w *recordWriter) tooDeep(depth int) bool {
	if depth > MaxNesting {
		w.check(errTooDeep)
		return true
	}
	return false
}

// anyMap writes a map whose keys are not all strings, its entries ordered by
// the bytes of their encoded keys so that the same map is always the same
// bytes.
func (w *recordWriter) anyMap(m map[any]any, depth int) {
	type entry struct {
		key   []byte
		value any
	}
	entries := make([]entry, 0, len(m))
	for k, v := range m {
		var buf bytes.Buffer
		sub := recordWriter{enc: msgpack.NewEncoder(&buf)}
		sub.value(k, depth+1)
		if sub.err != nil {
			w.check(sub.err)
			return
		}
		entries = append(entries, entry{buf.Bytes(), v})
	}
	slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
	w.mapLen(len(entries))
	for _, e := range entries {
		w.check(w.enc.Encode(msgpack.RawMessage(e.key)))
		w.value(e.value, depth+1)
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
		return nil, failLimit(where, "%d attributes, more than %d", n, MaxAttributes)
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
			return nil, failLimit(where, "nesting deeper than %d arrays and maps", MaxNesting)
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
			return nil, failLimit(where, "nesting deeper than %d arrays and maps", MaxNesting)
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
	case msgpcode.IsBin(c):
		b, err := r.dec.DecodeBytes()
		if err != nil {
			return nil, r.wrap(where, err)
		}
		if b == nil {
			b = []byte{}
		}
		return b, nil
	case msgpcode.IsExt(c):
		return r.ext(where)
	}
	v, err := r.dec.DecodeInterfaceLoose() // a scalar: nil, bool, float 64, str
	if err != nil {
		return nil, r.wrap(where, err)
	}
	return v, nil
}

// ext reads an extension value: a timestamp as a time.Time, any other type
// as its raw bytes, which are written back unchanged.
func (r reader) ext(where loc) (any, error) {
	raw, err := r.dec.DecodeRaw()
	if err != nil {
		return nil, r.wrap(where, err)
	}
	if extType(raw) == -1 {
		var t time.Time
		if err := msgpack.Unmarshal(raw, &t); err != nil {
			return nil, fail(where, "a malformed timestamp: %v", err)
		}
		return t, nil
	}
	return msgpack.RawMessage(raw), nil
}

// extType returns the type byte of an encoded extension value.
func extType(raw []byte) int8 {
	var at int // the offset of the type byte after the header's code and length
	switch raw[0] {
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1 … 16
		at = 1
	case 0xc7: // ext 8
		at = 2
	case 0xc8: // ext 16
		at = 3
	case 0xc9: // ext 32
		at = 5
	}
	if at == 0 || at >= len(raw) {
		return 0
	}
	return int8(raw[at])
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
