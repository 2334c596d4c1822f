package codec

import (
	"bytes"
	"encoding/binary"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Writer is where an Encoder writes: any io.Writer that can also write single bytes, such as
// *bytes.Buffer, *bytebox.Writer or *Buffer.
type Writer interface {
	io.Writer
	io.ByteWriter
}

// Encoder lowers Go values to canonical MessagePack (cabi/ABI.md section 5). The common scalar
// types and the values a decoder lifts into any ([]any, map[string]any, map[any]any, time.Time,
// Closure, Ext) are written by the Encoder itself; everything else goes through msgpack/v5,
// configured for the canonical encoding. Map keys are written in a fixed order: map[string]any
// by key, map[any]any by the keys' encoded bytes.
//
// Lengths MessagePack cannot represent (a str, bin, ext, array or map of 2^32 or more) are
// refused with an error that is ErrLimit, as is nesting of []any and maps deeper than MaxDepth
// (a value no decoder would accept, or a cycle); through msgpack/v5 a str or bin payload that
// long is refused when it is written. An Encoder is not safe for concurrent use; reuse one with
// Reset.
type Encoder struct {
	w   Writer
	lw  limitWriter
	md  *msgpack.Encoder
	tmp [24]byte

	lending Lending // lends large values (borrow.go); nil inlines them all
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w Writer) *Encoder {
	e := &Encoder{w: w, lw: limitWriter{w}}
	e.md = msgpack.NewEncoder(&e.lw)
	e.md.UseCompactInts(true)
	e.md.SetSortMapKeys(true)
	return e
}

// Reset makes e write to w from now on, keeping its configuration.
func (e *Encoder) Reset(w Writer) {
	e.w = w
	e.lw.w = w
	e.md.ResetWriter(&e.lw)
}

// limitWriter is the Writer msgpack/v5 writes to: it refuses a payload too long for MessagePack,
// which msgpack/v5 would write after a length cut to 32 bits.
type limitWriter struct{ w Writer }

func (l *limitWriter) Write(p []byte) (int, error) {
	if err := checkLen("str or bin", len(p)); err != nil {
		return 0, err
	}
	return l.w.Write(p)
}

func (l *limitWriter) WriteByte(c byte) error { return l.w.WriteByte(c) }

// Msgpack returns the underlying msgpack encoder, for types that implement
// msgpack.CustomEncoder and want to write themselves.
func (e *Encoder) Msgpack() *msgpack.Encoder { return e.md }

// Encode writes v.
func (e *Encoder) Encode(v any) error { return e.encode(v, 0) }

// encode writes v, which sits inside depth arrays and maps.
func (e *Encoder) encode(v any, depth int) error {
	if b, ok := appendScalar(e.tmp[:0], v); ok {
		_, err := e.w.Write(b)
		return err
	}
	b := e.tmp[:0]
	switch v := v.(type) {
	case string:
		if e.lending != nil {
			if lent, err := e.lendString(v); lent {
				return err
			}
		}
		return e.writeString(v)
	case []byte: // a nil slice is the empty byte string, as Go code means it
		if e.lending != nil {
			if lent, err := e.lendBytes(v); lent {
				return err
			}
		}
		if err := checkLen("bin", len(v)); err != nil {
			return err
		}
		if _, err := e.w.Write(AppendBinHeader(b, len(v))); err != nil {
			return err
		}
		_, err := e.w.Write(v)
		return err
	case Ext:
		if err := checkLen("ext", len(v.Data)); err != nil {
			return err
		}
		if _, err := e.w.Write(AppendExtHeader(b, v.Type, len(v.Data))); err != nil {
			return err
		}
		_, err := e.w.Write(v.Data)
		return err
	case []any:
		if v == nil {
			b = AppendNil(b)
			break
		}
		if err := e.open(depth, "array", len(v)); err != nil {
			return err
		}
		for _, x := range v {
			if err := e.encode(x, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		if v == nil {
			b = AppendNil(b)
			break
		}
		return e.encodeStringMap(v, depth)
	case map[any]any:
		if v == nil {
			b = AppendNil(b)
			break
		}
		return e.encodeAnyMap(v, depth)
	default:
		return e.md.Encode(v)
	}
	_, err := e.w.Write(b)
	return err
}

// appendScalar appends v when it is one of the scalars of a fixed, small size the Encoder writes
// itself (nil, bool, the common integers and floats, time.Time, Closure), and reports whether
// it was.
func appendScalar(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return AppendNil(b), true
	case bool:
		return AppendBool(b, v), true
	case int:
		return AppendInt(b, int64(v)), true
	case int64:
		return AppendInt(b, v), true
	case int32:
		return AppendInt(b, int64(v)), true
	case uint64:
		return AppendUint(b, v), true
	case uint:
		return AppendUint(b, uint64(v)), true
	case float64:
		return AppendFloat64(b, v), true
	case float32:
		return AppendFloat32(b, v), true
	case time.Time:
		return AppendTime(b, v), true
	case Closure:
		return AppendClosure(b, v), true
	}
	return b, false
}

// open writes the header of an array or map of n elements that sits inside depth others.
func (e *Encoder) open(depth int, kind string, n int) error {
	if depth >= MaxDepth {
		return limitErrorf("nesting deeper than %d levels", MaxDepth)
	}
	if kind == "array" {
		return e.EncodeArrayHeader(n)
	}
	return e.EncodeMapHeader(n)
}

// encodeStringMap writes m with its keys in order.
func (e *Encoder) encodeStringMap(m map[string]any, depth int) error {
	if err := e.open(depth, "map", len(m)); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := e.writeString(k); err != nil {
			return err
		}
		if err := e.encode(m[k], depth+1); err != nil {
			return err
		}
	}
	return nil
}

// encodeAnyMap writes m with its keys in the order of their encoded bytes, so that the same map
// always gives the same bytes.
func (e *Encoder) encodeAnyMap(m map[any]any, depth int) error {
	if err := e.open(depth, "map", len(m)); err != nil {
		return err
	}
	type entry struct {
		key []byte
		val any
	}
	entries := make([]entry, 0, len(m))
	var buf bytes.Buffer
	sub := NewEncoder(&buf)
	for k, v := range m {
		buf.Reset()
		if err := sub.encode(k, depth+1); err != nil {
			return err
		}
		entries = append(entries, entry{bytes.Clone(buf.Bytes()), v})
	}
	slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
	for _, x := range entries {
		if _, err := e.w.Write(x.key); err != nil {
			return err
		}
		if err := e.encode(x.val, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// writeString writes the str header and the bytes of s.
func (e *Encoder) writeString(s string) error {
	if err := checkLen("str", len(s)); err != nil {
		return err
	}
	if _, err := e.w.Write(AppendStringHeader(e.tmp[:0], len(s))); err != nil {
		return err
	}
	_, err := io.WriteString(e.w, s)
	return err
}

// EncodeArrayHeader writes the header of an array of n elements.
func (e *Encoder) EncodeArrayHeader(n int) error {
	if err := checkLen("array", n); err != nil {
		return err
	}
	_, err := e.w.Write(AppendArrayHeader(e.tmp[:0], n))
	return err
}

// EncodeMapHeader writes the header of a map of n entries.
func (e *Encoder) EncodeMapHeader(n int) error {
	if err := checkLen("map", n); err != nil {
		return err
	}
	_, err := e.w.Write(AppendMapHeader(e.tmp[:0], n))
	return err
}

// EncodeArgs writes the argument array of a call: an array of args, also for none.
func (e *Encoder) EncodeArgs(args ...any) error {
	if err := e.EncodeArrayHeader(len(args)); err != nil {
		return err
	}
	for _, a := range args {
		if err := e.Encode(a); err != nil {
			return err
		}
	}
	return nil
}

// AppendTime appends the canonical timestamp of t (cabi/ABI.md section 5): timestamp 32 when it
// has no nanoseconds and 0 <= seconds < 2^32, else timestamp 64 when 0 <= seconds < 2^34, else
// timestamp 96.
func AppendTime(b []byte, t time.Time) []byte {
	sec, nsec := t.Unix(), uint64(t.Nanosecond())
	switch {
	case sec >= 0 && sec < 1<<32 && nsec == 0:
		return binary.BigEndian.AppendUint32(append(b, 0xd6, 0xff), uint32(sec))
	case sec >= 0 && sec < 1<<34:
		return binary.BigEndian.AppendUint64(append(b, 0xd7, 0xff), nsec<<34|uint64(sec))
	}
	b = binary.BigEndian.AppendUint32(append(b, 0xc7, 12, 0xff), uint32(nsec))
	return binary.BigEndian.AppendUint64(b, uint64(sec))
}
