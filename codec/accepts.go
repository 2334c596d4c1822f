package codec

import (
	"math"
	"reflect"
)

// Accepts checks that b, one encoded value, can be lifted into Go type t under the lifting rules
// of cabi/ABI.md section 5: integers must fit, floats accept integers, str and bin are not
// interchangeable, nil stands for an empty slice, map or pointer, records ignore unknown keys,
// and map keys lifted into interfaces must be values Go can hash. Types that decode themselves
// (msgpack.CustomDecoder, msgpack.Unmarshaler, encoding.BinaryUnmarshaler,
// encoding.TextUnmarshaler) are left to report their own errors. It returns a *TypeError or
// *RangeError locating the first mismatch. b must already have been validated with Skip.
//
// A successful check allocates nothing: the path in an error is built only on the way out of a
// failure, each level putting its own segment in front.
func Accepts(b []byte, t reflect.Type) error {
	_, err := accepts(b, t, 0)
	return err
}

// accepts checks the value at the start of b against t and returns the value's length. An error
// is located relative to this value.
func accepts(b []byte, t reflect.Type, depth int) (int, error) {
	if t == closureType {
		_, n, err := ReadClosure(b)
		return n, err
	}
	if isSelfDecoding(t) {
		return Skip(b)
	}
	return acceptsKind(b, t, depth)
}

// acceptsKind is accepts for a type known not to decode itself.
func acceptsKind(b []byte, t reflect.Type, depth int) (int, error) {
	if depth > MaxDepth {
		return 0, limitErrorf("nesting deeper than %d levels", MaxDepth)
	}
	if len(b) == 0 {
		return 0, ErrTruncated
	}
	isNil := b[0] == 0xc0
	var n int
	var err error
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() > 0 {
			return 0, liftErrorf("values cannot be lifted into the interface type %s (only any)", t)
		}
		return Skip(b)
	case reflect.Bool:
		_, n, err = readBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		_, n, err = readInt(b, -1<<(bits-1), 1<<(bits-1)-1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		_, n, err = readUint(b, math.MaxUint64>>(64-t.Bits()))
	case reflect.Float32, reflect.Float64:
		_, n, err = readFloat(b)
	case reflect.String:
		n, err = strOrBinLen(b, "str")
	case reflect.Pointer:
		if isNil {
			return 1, nil
		}
		return accepts(b, t.Elem(), depth)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			if isNil {
				return 1, nil
			}
			n, err = strOrBinLen(b, "bin")
			break
		}
		if isNil && t.Kind() == reflect.Slice {
			return 1, nil
		}
		return acceptsArray(b, t, depth)
	case reflect.Map:
		if isNil {
			return 1, nil
		}
		return acceptsMap(b, t, depth)
	case reflect.Struct:
		if t == timeType {
			if KindOf(b) != "time" {
				return 0, &TypeError{Want: "time", Got: KindOf(b)}
			}
			return Skip(b)
		}
		if isNil {
			return 1, nil
		}
		return acceptsStruct(b, t, depth)
	default:
		return 0, liftErrorf("values cannot be lifted into Go type %s", t)
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}
