package codec

import (
	"reflect"
	"strconv"
	"strings"
)

// TypeName writes Go type t in the language-neutral type vocabulary of the manifest
// (cabi/ABI.md section 8): int, uint, float, float32, bool, str, bytes, time, any, [T], {K: V},
// {"field": T, ...}, T? and fn(A, B) -> R. A recursive type is written as any where it recurs.
func TypeName(t reflect.Type) string {
	var sb strings.Builder
	writeTypeName(&sb, t, map[reflect.Type]bool{})
	return sb.String()
}

func writeTypeName(sb *strings.Builder, t reflect.Type, open map[reflect.Type]bool) {
	if open[t] {
		sb.WriteString("any")
		return
	}
	if t.Kind() != reflect.Pointer && t.Implements(typeNamerType) {
		sb.WriteString(reflect.Zero(t).Interface().(TypeNamer).VirgilTypeName())
		return
	}
	if t == closureType { // a bare closure does not say what it takes
		sb.WriteString("any")
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		sb.WriteString("bool")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		sb.WriteString("int")
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		sb.WriteString("uint")
	case reflect.Float32:
		sb.WriteString("float32")
	case reflect.Float64:
		sb.WriteString("float")
	case reflect.String:
		sb.WriteString("str")
	case reflect.Interface:
		sb.WriteString("any")
	case reflect.Pointer:
		writeTypeName(sb, t.Elem(), open)
		sb.WriteByte('?')
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			sb.WriteString("bytes")
			return
		}
		sb.WriteByte('[')
		writeTypeName(sb, t.Elem(), open)
		sb.WriteByte(']')
	case reflect.Map:
		sb.WriteByte('{')
		writeTypeName(sb, t.Key(), open)
		sb.WriteString(": ")
		writeTypeName(sb, t.Elem(), open)
		sb.WriteByte('}')
	case reflect.Struct:
		writeStructName(sb, t, open)
	case reflect.Func:
		writeFuncName(sb, t, open)
	default:
		sb.WriteString("any")
	}
}

// writeStructName writes a record with the keys of wireFields, in order. A key msgpack/v5 writes
// twice is named once, where it first appears, with the type of the field that decodes it (the
// value readers keep). A struct msgpack/v5 writes as an array (as_array) is a list of any; one
// that encodes itself (a custom, binary or text marshaler, possibly through an embedded field's
// methods) is any.
func writeStructName(sb *strings.Builder, t reflect.Type, open map[reflect.Type]bool) {
	if t == timeType {
		sb.WriteString("time")
		return
	}
	if !plainStruct(t) {
		sb.WriteString("any")
		return
	}
	w := wireFields(t)
	if w.asArray {
		sb.WriteString("[any]")
		return
	}
	open[t] = true
	defer delete(open, t)
	sb.WriteByte('{')
	written := make(map[string]bool, len(w.fields))
	for _, f := range w.fields {
		if written[f.name] {
			continue
		}
		if len(written) > 0 {
			sb.WriteString(", ")
		}
		written[f.name] = true
		sb.WriteString(strconv.Quote(f.name))
		sb.WriteString(": ")
		writeTypeName(sb, w.keys[f.name].typ, open)
	}
	sb.WriteByte('}')
}

func writeFuncName(sb *strings.Builder, t reflect.Type, open map[reflect.Type]bool) {
	sb.WriteString("fn(")
	for i := 0; i < t.NumIn(); i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		writeTypeName(sb, t.In(i), open)
	}
	sb.WriteString(") -> ")
	results := t.NumOut()
	if results > 0 && t.Out(results-1) == errorType {
		results--
	}
	if results == 0 {
		sb.WriteString("nil")
		return
	}
	writeTypeName(sb, t.Out(0), open)
}

var errorType = reflect.TypeFor[error]()
