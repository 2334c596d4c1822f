package codec

import (
	"encoding/binary"
	"fmt"
	"reflect"

	"github.com/vmihailenco/msgpack/v5"
)

// ClosureExt is the MessagePack extension type of a function value (cabi/ABI.md section 15), and
// ClosureSize the length of its payload: five 64-bit words.
const (
	ClosureExt  = 64
	ClosureSize = 40
)

// closureHeader is the canonical header of a closure: ext 8, length 40, type 64.
var closureHeader = [3]byte{0xc7, ClosureSize, ClosureExt}

// Closure is a function value on the wire (cabi/ABI.md section 15): five words of the process,
// which this package only carries as bytes. Call is a
// void (*)(void *env, const virgil_box *in, virgil_box *out), Env the handle given to it, Realloc
// the closure side's allocator for the replies Call returns in its own memory, and Retain and
// Release are void (*)(void *env). The kits (host, guest) give the words their meaning.
//
// A Closure lowers to ext 8, type 64 (c7 28 40 + the words, little-endian) and lifts only from an
// ext 64 of 40 bytes; a Go function type in a manifest is fn(A, ...) -> R (see TypeName).
//
// Invariants: a Closure is a plain value that owns nothing; the words belong to the side that
// made the closure, and Env stays valid only during the call the closure was passed to unless the
// receiver called Retain (and until it calls Release). The words may be used from any thread,
// concurrently (section 15); nothing here dereferences them.
type Closure struct {
	Call, Env, Realloc, Retain, Release uintptr
}

var closureType = reflect.TypeFor[Closure]()

// IsZero reports whether c has no call pointer, so it cannot be called.
func (c Closure) IsZero() bool { return c.Call == 0 }

// AppendClosure appends the canonical encoding of c: c7 28 40 and the five words.
func AppendClosure(b []byte, c Closure) []byte {
	b = append(b, closureHeader[:]...)
	for _, w := range [5]uintptr{c.Call, c.Env, c.Realloc, c.Retain, c.Release} {
		b = binary.LittleEndian.AppendUint64(b, uint64(w))
	}
	return b
}

// ReadClosure reads the closure at the start of b and returns it with its encoded length. Any
// other value is a *TypeError ("expected fn, got int"); an extension other than type 64 with 40
// bytes is an error naming it.
func ReadClosure(b []byte) (Closure, int, error) {
	if len(b) == 0 {
		return Closure{}, 0, &TypeError{Want: "fn", Got: "nothing"}
	}
	var typ int8
	var size, head int
	switch b[0] {
	case 0xc7, 0xc8, 0xc9: // ext 8, 16, 32: the only forms that can hold 40 bytes
		lenSize := 1 << (b[0] - 0xc7)
		head = 2 + lenSize
		if len(b) < head {
			return Closure{}, 0, ErrTruncated
		}
		var n uint64
		for _, x := range b[1 : 1+lenSize] {
			n = n<<8 | uint64(x)
		}
		typ = int8(b[1+lenSize])
		if n != ClosureSize {
			if typ == ClosureExt {
				return Closure{}, 0, liftErrorf("a closure (ext 64) must hold %d bytes, not %d", ClosureSize, n)
			}
			return Closure{}, 0, &TypeError{Want: "fn", Got: KindOf(b)}
		}
		size = int(n)
	default:
		return Closure{}, 0, &TypeError{Want: "fn", Got: KindOf(b)}
	}
	if typ != ClosureExt {
		return Closure{}, 0, &TypeError{Want: "fn", Got: fmt.Sprintf("ext %d", typ)}
	}
	if len(b) < head+size {
		return Closure{}, 0, ErrTruncated
	}
	p := b[head : head+size]
	word := func(i int) uintptr { return uintptr(binary.LittleEndian.Uint64(p[8*i:])) }
	return Closure{Call: word(0), Env: word(1), Realloc: word(2), Retain: word(3), Release: word(4)}, head + size, nil
}

// EncodeMsgpack writes the canonical encoding, for values encoded through msgpack/v5 (a Closure
// inside a struct or a slice).
func (c Closure) EncodeMsgpack(enc *msgpack.Encoder) error {
	var tmp [3 + ClosureSize]byte
	_, err := enc.Writer().Write(AppendClosure(tmp[:0], c))
	return err
}

// DecodeMsgpack reads a closure, for values decoded through msgpack/v5.
func (c *Closure) DecodeMsgpack(dec *msgpack.Decoder) error {
	raw, err := dec.DecodeRaw()
	if err != nil {
		return err
	}
	v, n, err := ReadClosure(raw)
	if err != nil {
		return err
	}
	if n != len(raw) {
		return liftErrorf("unexpected bytes after the closure (%d)", len(raw)-n)
	}
	*c = v
	return nil
}

// TypeNamer is implemented by types that say themselves how a manifest names them (TypeName),
// such as a guest kit's wrapper of a function value, which names the function type it wraps.
type TypeNamer interface {
	VirgilTypeName() string
}

var typeNamerType = reflect.TypeFor[TypeNamer]()

// EncodeClosure writes the canonical encoding of c (AppendClosure) without boxing it in an
// interface or allocating: the words go out through the Encoder's own buffer.
func (e *Encoder) EncodeClosure(c Closure) error {
	b := append(e.tmp[:0], closureHeader[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Call))
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Env))
	if _, err := e.w.Write(b); err != nil {
		return err
	}
	b = binary.LittleEndian.AppendUint64(e.tmp[:0], uint64(c.Realloc))
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Retain))
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Release))
	_, err := e.w.Write(b)
	return err
}
