package codec

import (
	"bytes"
	"fmt"
	"math"
	"reflect"

	"github.com/vmihailenco/msgpack/v5"
)

// Decoder lifts MessagePack values from a byte slice into Go values. Every decode first checks
// that the bytes fit the target type (see Accepts), so a mismatch is reported as
// "expected int, got str" rather than converted; scalar targets take allocation-free fast paths.
// Structs follow the struct rule of cabi/ABI.md section 5 (exact keys, then folded keys, required
// fields; see Fold and FieldError), and a value lifted into any takes one shape wherever it sits:
// integers are int64 (uint64 above math.MaxInt64), maps map[string]any (see liftAny).
// A struct, map or array target is zeroed first: the result is the value on the wire alone.
// Strings and byte slices are always copied out: nothing a Decoder returns aliases its input
// (but for a borrowed []byte when SetLender asks for aliasing; borrow.go).
// Decoding into a non-nil []byte reuses its memory when it is large enough.
// A Decoder is not safe for concurrent use; reuse one with Reset.
type Decoder struct {
	b   []byte
	off int
	r   bytes.Reader
	md  *msgpack.Decoder

	lender Lender // resolves borrowed values (borrow.go); nil reads them as Ext
	alias  bool   // a top-level *[]byte may be the Lender's view
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder {
	d := &Decoder{md: msgpack.NewDecoder(nil)}
	d.Reset(b)
	return d
}

// Reset makes d read b from its start.
func (d *Decoder) Reset(b []byte) {
	d.b, d.off = b, 0
}

// Remaining returns the bytes not read yet (a view, not a copy).
func (d *Decoder) Remaining() []byte { return d.b[d.off:] }

// Offset returns how many bytes have been read.
func (d *Decoder) Offset() int { return d.off }

// End returns an error when bytes remain after what was read.
func (d *Decoder) End() error {
	if n := len(d.b) - d.off; n > 0 {
		return liftErrorf("unexpected bytes after the value (%d)", n)
	}
	return nil
}

// ArrayHeader reads an array header and returns the number of elements.
func (d *Decoder) ArrayHeader() (int, error) {
	n, head, err := arrayHeader(d.Remaining())
	if err != nil {
		return 0, err
	}
	d.off += head
	return n, nil
}

// Next returns the raw bytes of the next value (validated with Skip) and moves past it.
func (d *Decoder) Next() ([]byte, error) {
	n, err := Skip(d.Remaining())
	if err != nil {
		return nil, err
	}
	v := d.b[d.off : d.off+n]
	d.off += n
	return v, nil
}

// Decode reads the next value into the value v points to.
func (d *Decoder) Decode(v any) error {
	rv, done, err := d.decodeScalar(v)
	if done || err != nil {
		return err
	}
	return d.DecodeValue(rv.Elem())
}

// decodeWhole is Decode for input that is one value, already checked with Skip (the value of an
// envelope SplitEnvelope has checked): it does not measure the value again.
func (d *Decoder) decodeWhole(v any) error {
	rv, done, err := d.decodeScalar(v)
	if done || err != nil {
		return err
	}
	return d.acceptAndLift(d.Remaining(), rv.Elem())
}

// decodeScalar decodes the next value when v is one of the scalar pointers decodeFast handles
// (done), else returns v as a reflect.Value, checked to be a non-nil pointer.
func (d *Decoder) decodeScalar(v any) (rv reflect.Value, done bool, err error) {
	n, err := d.decodeFast(d.Remaining(), v)
	if err != nil || n > 0 {
		d.off += n
		return rv, true, err
	}
	rv = reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return rv, false, fmt.Errorf("codec: Decode needs a non-nil pointer, got %T", v)
	}
	return rv, false, nil
}

// DecodeValue reads the next value into v, which must be settable.
func (d *Decoder) DecodeValue(v reflect.Value) error {
	b := d.Remaining()
	n, err := Skip(b)
	if err != nil {
		return err
	}
	return d.acceptAndLift(b[:n], v)
}

// acceptAndLift checks b, the next value (measured with Skip), against v's type and lifts it.
func (d *Decoder) acceptAndLift(b []byte, v reflect.Value) error {
	if err := Accepts(b, v.Type()); err != nil {
		return err
	}
	if err := d.liftValue(b, v); err != nil {
		return err
	}
	d.off += len(b)
	return nil
}

// liftValue lifts the value b, checked by Accepts, into v (see lift.go). Accepts rules out the
// inputs known to make msgpack/v5 panic (unhashable map keys); should a type's own decoding
// method panic, or reflection refuse a field (an embedded pointer to an unexported type), the
// panic is returned as an error rather than crashing on peer input.
func (d *Decoder) liftValue(b []byte, v reflect.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("codec: decoding into %s panicked: %v", v.Type(), r)
		}
	}()
	_, err = d.lift(b, v, isSelfDecoding(v.Type()))
	return err
}

// decodeFast handles the common scalar targets without reflection. It returns n == 0 and no error
// when v is not one of them.
func (d *Decoder) decodeFast(b []byte, v any) (n int, err error) {
	switch p := v.(type) {
	case *int:
		var x int64
		x, n, err = readInt(b, math.MinInt, math.MaxInt)
		*p = int(x)
	case *int64:
		*p, n, err = readInt(b, math.MinInt64, math.MaxInt64)
	case *int32:
		var x int64
		x, n, err = readInt(b, math.MinInt32, math.MaxInt32)
		*p = int32(x)
	case *uint64:
		*p, n, err = readUint(b, math.MaxUint64)
	case *float64:
		*p, n, err = readFloat(b)
	case *float32:
		var f float64
		f, n, err = readFloat(b)
		*p = float32(f)
	case *string:
		if len(b) > 0 && isExtHeader(b[0]) {
			*p, n, err = d.borrowedString(b)
		} else {
			*p, n, err = readString(b)
		}
	case *[]byte:
		if len(b) > 0 && isExtHeader(b[0]) {
			*p, n, err = d.borrowedBytesInto(*p, b, true)
		} else {
			*p, n, err = readBytesInto(*p, b)
		}
	case *bool:
		*p, n, err = readBool(b)
	case *Closure:
		*p, n, err = ReadClosure(b)
	case *any:
		if n, err = Skip(b); err == nil {
			*p, n, err = d.liftAny(b[:n])
		}
	default:
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// decodeAnyMap decodes a map into map[string]any when every key is a string, else into
// map[any]any, for values msgpack/v5 decodes (inside types that decode themselves), rejecting
// keys Go cannot hash (arrays, maps, byte strings) and duplicate keys.
func decodeAnyMap(md *msgpack.Decoder) (any, error) {
	n, err := md.DecodeMapLen()
	if err != nil || n < 0 {
		return nil, err
	}
	strs := make(map[string]any, n)
	var anys map[any]any
	for i := range n {
		k, err := md.DecodeInterface()
		if err != nil {
			return nil, err
		}
		v, err := md.DecodeInterface()
		if err != nil {
			return nil, err
		}
		if s, ok := k.(string); ok && anys == nil {
			strs[s] = v
			if len(strs) != i+1 {
				return nil, liftErrorf("duplicate map key %q", s)
			}
			continue
		}
		if k != nil && !reflect.TypeOf(k).Comparable() {
			return nil, liftErrorf("a map key of type %T cannot be used in Go", k)
		}
		if anys == nil {
			anys = make(map[any]any, n)
			for s, v := range strs {
				anys[s] = v
			}
		}
		anys[k] = v
		if len(anys) != i+1 {
			return nil, liftErrorf("duplicate map key %v", k)
		}
	}
	if anys != nil {
		return anys, nil
	}
	return strs, nil
}
