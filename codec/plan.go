package codec

import "sync"

// Plans for typed calls. A binding whose parameter and result types are known when it is made
// (host.Func2[int, string, float64], say) chooses here, once, how each value is lowered and how
// the result is lifted, so that a call neither boxes its values in interfaces nor looks at their
// types again: the common scalars, strings and byte slices are written and read directly; every
// other type goes through the Encoder and DecodeReplyOf, unchanged.

// AppendFunc appends the canonical encoding of v to b, as an Encoder writes it, and returns the
// extended slice. It fails only for a value an Encoder refuses (a string of 2^32 bytes or more,
// a value msgpack/v5 cannot encode), with the Encoder's error.
type AppendFunc[T any] func(b []byte, v T) ([]byte, error)

// AppenderFor returns the AppendFunc for values of type T: direct for bool, int, int32, int64,
// uint, uint64, float32, float64, string and []byte, else one that encodes v with a pooled
// Encoder.
func AppenderFor[T any]() AppendFunc[T] {
	var f any
	switch any(*new(T)).(type) {
	case bool:
		f = AppendFunc[bool](func(b []byte, v bool) ([]byte, error) { return AppendBool(b, v), nil })
	case int:
		f = AppendFunc[int](func(b []byte, v int) ([]byte, error) { return AppendInt(b, int64(v)), nil })
	case int32:
		f = AppendFunc[int32](func(b []byte, v int32) ([]byte, error) { return AppendInt(b, int64(v)), nil })
	case int64:
		f = AppendFunc[int64](func(b []byte, v int64) ([]byte, error) { return AppendInt(b, v), nil })
	case uint:
		f = AppendFunc[uint](func(b []byte, v uint) ([]byte, error) { return AppendUint(b, uint64(v)), nil })
	case uint64:
		f = AppendFunc[uint64](func(b []byte, v uint64) ([]byte, error) { return AppendUint(b, v), nil })
	case float32:
		f = AppendFunc[float32](func(b []byte, v float32) ([]byte, error) { return AppendFloat32(b, v), nil })
	case float64:
		f = AppendFunc[float64](func(b []byte, v float64) ([]byte, error) { return AppendFloat64(b, v), nil })
	case string:
		f = AppendFunc[string](appendString)
	case []byte:
		f = AppendFunc[[]byte](appendBytes)
	default:
		return func(b []byte, v T) ([]byte, error) { return AppendValue(b, v) }
	}
	return f.(AppendFunc[T])
}

func appendString(b []byte, s string) ([]byte, error) {
	if err := checkLen("str", len(s)); err != nil {
		return b, err
	}
	return AppendString(b, s), nil
}

func appendBytes(b []byte, v []byte) ([]byte, error) {
	if err := checkLen("bin", len(v)); err != nil {
		return b, err
	}
	return AppendBytes(b, v), nil
}

// appendWriter is a Writer appending to a byte slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *appendWriter) WriteByte(c byte) error      { w.b = append(w.b, c); return nil }

// appendEncoder is an Encoder writing to its own appendWriter.
type appendEncoder struct {
	w   appendWriter
	enc *Encoder
}

var appendEncoders = sync.Pool{New: func() any {
	a := &appendEncoder{}
	a.enc = NewEncoder(&a.w)
	return a
}}

// AppendAny appends the canonical encoding of v to b, as Encoder.Encode writes it: the common
// scalars, strings and byte slices directly, anything else through a pooled Encoder.
func AppendAny(b []byte, v any) ([]byte, error) { return AppendLending(b, v, nil) }

// AppendValue appends the canonical encoding of v to b, as Encoder.Encode writes it.
func AppendValue(b []byte, v any) ([]byte, error) { return appendValue(b, v, nil) }

// appendValue appends v with a pooled Encoder lending through l (nil: lending nothing).
func appendValue(b []byte, v any, l Lending) ([]byte, error) {
	a := appendEncoders.Get().(*appendEncoder)
	a.w.b = b
	a.enc.SetLending(l)
	err := a.enc.Encode(v)
	a.enc.SetLending(nil)
	b = a.w.b
	a.w.b = nil
	appendEncoders.Put(a)
	return b, err
}

// ReplyLifter lifts reply envelopes into values of type R, as DecodeReplyOf does, with the same
// checks and the same errors. For bool, int, int32, int64, uint64, float32, float64, string and
// []byte it reads the canonical success envelope {"ok": v} in one pass, without reflection and
// without boxing the result; every other reply (an error, a non-canonical envelope, a value that
// does not fit) and every other type goes through DecodeReplyOf. The zero ReplyLifter is not
// usable; make one with NewReplyLifter, once per binding.
type ReplyLifter[R any] struct {
	scalar func(b []byte) (R, int, error)
}

// NewReplyLifter returns the ReplyLifter for R.
func NewReplyLifter[R any]() ReplyLifter[R] {
	var f any
	switch any(*new(R)).(type) {
	case bool:
		f = readBool
	case int:
		f = readSigned[int]
	case int32:
		f = readSigned[int32]
	case int64:
		f = readSigned[int64]
	case uint64:
		f = readUnsigned[uint64]
	case float32:
		f = readFloat32
	case float64:
		f = readFloat
	case string:
		f = readString
	case []byte:
		f = func(b []byte) ([]byte, int, error) { return readBytesInto(nil, b) }
	default:
		return ReplyLifter[R]{}
	}
	return ReplyLifter[R]{scalar: f.(func([]byte) (R, int, error))}
}

// Lift lifts reply, the reply of the function called name, into a new R. It fails as
// DecodeReplyOf(d, name, reply, &r) fails, with the same errors, and returns the R that call
// leaves then. d is used only on the general path.
func (l ReplyLifter[R]) Lift(d *Decoder, name string, reply []byte) (R, error) {
	if l.scalar != nil && isOK(reply) {
		// Reading the value whole is the check SplitEnvelope makes: a scalar reader accepts
		// exactly the well-formed values of its type (a str only when it is valid UTF-8).
		if r, n, err := l.scalar(reply[len(okHeader):]); err == nil && n == len(reply)-len(okHeader) {
			return r, nil
		}
	}
	return liftGeneral[R](d, name, reply)
}

// liftGeneral is Lift through DecodeReplyOf.
func liftGeneral[R any](d *Decoder, name string, reply []byte) (R, error) {
	p := new(R)
	err := DecodeReplyOf(d, name, reply, p)
	return *p, err
}

// isOK reports whether reply starts with the canonical success envelope's header.
func isOK(reply []byte) bool {
	return len(reply) > len(okHeader) && reply[0] == 0x81 && reply[1] == 0xa2 && reply[2] == 'o' && reply[3] == 'k'
}
