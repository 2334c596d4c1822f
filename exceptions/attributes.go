package exceptions

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Well-known attribute keys (cabi/ABI.md, section 6).
const (
	// AttrErrno is the POSIX error number (Linux numbering) of a failure
	// that came from the operating system.
	AttrErrno = "errno"
	// AttrFilename is the path the failed operation was about.
	AttrFilename = "filename"
	// AttrFilename2 is the second path of a failed rename or link.
	AttrFilename2 = "filename2"
	// AttrArgs is a Python exception's args.
	AttrArgs = "args"
)

// MaxAttributes is the largest number of attributes one level may have
// (cabi/ABI.md, section 6).
const MaxAttributes = 256

// Attributes are a level's structured fields: the well-known keys (errno,
// filename, filename2, args) and any of the error's own. Values are the
// natural Go values of cabi/ABI.md section 5: nil, bool, int64 (uint64
// above its range), float64, string, []byte, time.Time, []any,
// map[string]any (map[any]any when a key is not a string).
//
// An Attributes value belongs to its Exception: it is written when the
// exception is made or decoded and only read afterwards, so it may be read
// from any goroutine.
type Attributes map[string]any

// Attr returns the attribute key of this level: the key itself, else the
// one key that matches it folded (ASCII lowercase, '_' and '-' removed), as
// struct keys match (cabi/ABI.md, section 5). ok is false when there is no
// such attribute or several keys fold to it.
func (e *Exception) Attr(key string) (value any, ok bool) {
	if e == nil || len(e.Attributes) == 0 {
		return nil, false
	}
	if v, ok := e.Attributes[key]; ok {
		return v, true
	}
	want, found := Fold(key), 0
	for k, v := range e.Attributes {
		if Fold(k) == want {
			value, found = v, found+1
		}
	}
	return value, found == 1
}

// Errno returns the level's errno attribute, or 0 and false when it has none
// (or it is not an integer).
func (e *Exception) Errno() (int, bool) {
	v, ok := e.Attr(AttrErrno)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return int(n), true
	case uint64:
		if n <= math.MaxInt32 {
			return int(n), true
		}
	}
	return 0, false
}

// Filename returns the level's filename attribute, or "" when it has none.
func (e *Exception) Filename() string {
	s, _ := e.Attributes[AttrFilename].(string)
	return s
}

// Fold returns name as struct keys and attribute keys are compared when they
// do not match exactly (cabi/ABI.md, section 5): ASCII letters lowercased,
// every '_' and '-' removed. "MaxValue", "max_value" and "max-value" fold to
// "maxvalue".
func Fold(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_' || c == '-':
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

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

// fieldAttributes returns the exported fields of err's struct (err may be a
// pointer to one) as attributes, keyed by wire name (the msgpack tag, else
// the field name), for a user's own error type. Fields holding errors (the
// cause), functions, channels and unsafe pointers are left out, and so is
// any value msgpack cannot encode.
func fieldAttributes(err error) Attributes {
	v := reflect.ValueOf(err)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	t := v.Type()
	var attrs Attributes
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, skip := wireName(f)
		if skip || !attributeKind(f.Type) {
			continue
		}
		value, ok := naturalValue(v.Field(i))
		if !ok {
			continue
		}
		if attrs == nil {
			attrs = Attributes{}
		}
		attrs[name] = value
		if len(attrs) == MaxAttributes {
			break
		}
	}
	return attrs
}

// wireName returns a struct field's wire name: its msgpack tag's name, else
// the field name; skip is true for `msgpack:"-"`.
func wireName(f reflect.StructField) (name string, skip bool) {
	tag := f.Tag.Get("msgpack")
	if tag == "-" {
		return "", true
	}
	if name, _, _ = strings.Cut(tag, ","); name != "" {
		return name, false
	}
	return f.Name, false
}

var errorType = reflect.TypeFor[error]()

// attributeKind reports whether a field of type t can be an attribute.
func attributeKind(t reflect.Type) bool {
	if t.Implements(errorType) {
		return false
	}
	switch t.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Uintptr, reflect.Complex64, reflect.Complex128:
		return false
	}
	return true
}

// naturalValue converts a field's value to its natural wire value by
// encoding it as msgpack does and reading it back.
func naturalValue(v reflect.Value) (value any, ok bool) {
	defer func() {
		if recover() != nil {
			value, ok = nil, false
		}
	}()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	enc.SetSortMapKeys(true)
	if err := enc.EncodeValue(v); err != nil {
		return nil, false
	}
	dec := msgpack.NewDecoder(&buf)
	value, err := reader{dec: dec}.value(loc{frame: -1}, 1)
	if err != nil {
		return nil, false
	}
	return value, true
}
