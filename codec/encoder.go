package codec

import (
	"io"
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
// types take allocation-free fast paths; everything else goes through msgpack/v5, configured for
// the canonical encoding. An Encoder is not safe for concurrent use; reuse one with Reset.
type Encoder struct {
	w   Writer
	md  *msgpack.Encoder
	tmp [24]byte
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w Writer) *Encoder {
	md := msgpack.NewEncoder(w)
	md.UseCompactInts(true)
	md.SetSortMapKeys(true)
	return &Encoder{w: w, md: md}
}

// Reset makes e write to w from now on, keeping its configuration.
func (e *Encoder) Reset(w Writer) {
	e.w = w
	e.md.ResetWriter(w)
}

// Msgpack returns the underlying msgpack encoder, for types that implement
// msgpack.CustomEncoder and want to write themselves.
func (e *Encoder) Msgpack() *msgpack.Encoder { return e.md }

// Encode writes v.
func (e *Encoder) Encode(v any) error {
	b := e.tmp[:0]
	switch v := v.(type) {
	case nil:
		b = AppendNil(b)
	case bool:
		b = AppendBool(b, v)
	case int:
		b = AppendInt(b, int64(v))
	case int64:
		b = AppendInt(b, v)
	case int32:
		b = AppendInt(b, int64(v))
	case uint64:
		b = AppendUint(b, v)
	case uint:
		b = AppendUint(b, uint64(v))
	case float64:
		b = AppendFloat64(b, v)
	case float32:
		b = AppendFloat32(b, v)
	case string:
		return e.writeString(v)
	case []byte: // a nil slice is the empty byte string, as Go code means it
		if _, err := e.w.Write(AppendBinHeader(b, len(v))); err != nil {
			return err
		}
		_, err := e.w.Write(v)
		return err
	case time.Time:
		return e.md.EncodeTime(v)
	case Closure:
		_, err := e.w.Write(AppendClosure(b, v))
		return err
	default:
		return e.md.Encode(v)
	}
	_, err := e.w.Write(b)
	return err
}

// writeString writes the str header and the bytes of s.
func (e *Encoder) writeString(s string) error {
	if _, err := e.w.Write(AppendStringHeader(e.tmp[:0], len(s))); err != nil {
		return err
	}
	_, err := io.WriteString(e.w, s)
	return err
}

// EncodeArrayHeader writes the header of an array of n elements.
func (e *Encoder) EncodeArrayHeader(n int) error {
	_, err := e.w.Write(AppendArrayHeader(e.tmp[:0], n))
	return err
}

// EncodeMapHeader writes the header of a map of n entries.
func (e *Encoder) EncodeMapHeader(n int) error {
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
