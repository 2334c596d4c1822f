package exceptions

import (
	"bytes"
	"github.com/virgilffi/virgil/scan"
	"math"
	"reflect"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
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
	want, found := scan.Fold(key), 0
	for k, v := range e.Attributes {
		if scan.Fold(k) == want {
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
	case int:
		return n, true
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
	v, _ := e.Attr(AttrFilename)
	s, _ := v.(string)
	return s
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
	budget := maxFieldValues
	if !bounded(v, 1, &budget, map[uintptr]bool{}) {
		return nil, false // cyclic, too deep or too big to be an attribute
	}
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

// maxFieldValues bounds how many values one attribute made from a field may
// hold, so that converting an error stays cheap.
const maxFieldValues = 1 << 16

// bounded reports whether v, at nesting depth depth, holds no cycle, no
// container deeper than MaxNesting and at most *budget values, before msgpack
// (which recurses and follows pointers) is let loose on it. seen holds the
// pointers on the path from the field to v.
func bounded(v reflect.Value, depth int, budget *int, seen map[uintptr]bool) bool {
	*budget--
	if *budget < 0 || depth > MaxNesting {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return true
		}
		if v.Kind() == reflect.Pointer {
			p := v.Pointer()
			if seen[p] {
				return false
			}
			seen[p] = true
			defer delete(seen, p)
		}
		return bounded(v.Elem(), depth, budget, seen)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !bounded(v.Field(i), depth+1, budget, seen) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return true // bytes
		}
		for i := range v.Len() {
			if !bounded(v.Index(i), depth+1, budget, seen) {
				return false
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if !bounded(it.Key(), depth+1, budget, seen) || !bounded(it.Value(), depth+1, budget, seen) {
				return false
			}
		}
	}
	return true
}
