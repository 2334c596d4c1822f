package codec

import (
	"encoding"
	"reflect"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

var (
	timeType = reflect.TypeFor[time.Time]()

	// decoderTypes are the interfaces through which msgpack/v5 lets a type decode itself, in the
	// order it looks for them; encoderTypes are their encoding halves.
	decoderTypes = []reflect.Type{
		reflect.TypeFor[msgpack.CustomDecoder](),
		reflect.TypeFor[msgpack.Unmarshaler](),
		reflect.TypeFor[encoding.BinaryUnmarshaler](),
		reflect.TypeFor[encoding.TextUnmarshaler](),
	}
	encoderTypes = []reflect.Type{
		reflect.TypeFor[msgpack.CustomEncoder](),
		reflect.TypeFor[msgpack.Marshaler](),
		reflect.TypeFor[encoding.BinaryMarshaler](),
		reflect.TypeFor[encoding.TextMarshaler](),
	}
)

// selfDecoding reports whether msgpack/v5 decodes t (or *t) through one of the interfaces above,
// leaving the check of the value to the type's own method. time.Time and *time.Time, which
// msgpack/v5 decodes as the timestamp extension, are not; nor are interface types, which have no
// value to call the method on (Accepts lifts only into any).
func selfDecoding(t reflect.Type) bool {
	if t == timeType || t.Kind() == reflect.Pointer && t.Elem() == timeType || t.Kind() == reflect.Interface {
		return false
	}
	return implementsAny(t, decoderTypes)
}

// plainStruct reports whether msgpack/v5 encodes and decodes struct type t field by field, as a
// map (or an array), which is the condition for inlining it where it is embedded.
func plainStruct(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != timeType && !implementsAny(t, decoderTypes) && !implementsAny(t, encoderTypes)
}

// implementsAny reports whether t, or *t when t is not a pointer, implements one of ifaces.
func implementsAny(t reflect.Type, ifaces []reflect.Type) bool {
	var pt reflect.Type
	if t.Kind() != reflect.Pointer {
		pt = reflect.PointerTo(t)
	}
	for _, iface := range ifaces {
		if t.Implements(iface) || pt != nil && pt.Implements(iface) {
			return true
		}
	}
	return false
}
