package codec

import (
	"encoding/binary"
	"math"
	"reflect"
	"time"

	"github.com/virgilffi/virgil/scan"
	"github.com/vmihailenco/msgpack/v5"
)

// Ext is a MessagePack extension value that Virgil gives no meaning to: any type other than the
// timestamp (-1) and the closure (64), including the reserved types 65 … 79. Lifted into any, such
// a value becomes an Ext holding a copy of its bytes, and an Ext lowers to the canonical encoding
// of the same type and bytes, so that echo returns it unchanged (cabi/ABI.md section 5). A typed
// target other than any or Ext refuses it: "expected int, got ext 1".
//
// Invariants: an Ext owns its Data (a copy, never a view of a reply the host frees); it is an
// ordinary value that any goroutine may read once made.
type Ext struct {
	Type int8
	Data []byte
}

var extType = reflect.TypeFor[Ext]()

// AppendExt appends the canonical encoding of an extension of type typ holding data: fixext 1,
// 2, 4, 8 or 16 when its length is one of those, else the smallest of ext 8, 16, 32. The caller
// checks that len(data) < 2^32 (Encoder refuses longer ones).
func AppendExt(b []byte, typ int8, data []byte) []byte {
	return append(AppendExtHeader(b, typ, len(data)), data...)
}

// readExt reads the extension at the start of b (any type), copying its payload.
func readExt(b []byte) (Ext, int, error) {
	typ, data, n, err := extPayload(b)
	if err != nil {
		return Ext{}, 0, err
	}
	return Ext{Type: typ, Data: append([]byte{}, data...)}, n, nil
}

// extPayload reads the extension at the start of b: its type, its payload (a view into b) and
// its encoded length.
func extPayload(b []byte) (typ int8, data []byte, n int, err error) {
	typ, ok := scan.ExtType(b)
	if !ok || Kind(b[0]) != "ext" {
		return 0, nil, 0, &TypeError{Want: "ext", Got: KindOf(b)}
	}
	head, body, _, err := scan.Header(b)
	if err != nil {
		return 0, nil, 0, err
	}
	if uint64(len(b)-head) < body {
		return 0, nil, 0, ErrTruncated
	}
	start, end := head, head+int(body)
	if b[0] >= 0xd4 && b[0] <= 0xd8 {
		start = 2 // a fixext's body counts its type byte
	}
	return typ, b[start:end], end, nil
}

// EncodeMsgpack writes the canonical encoding, for values encoded through msgpack/v5 (an Ext
// inside a struct).
func (x Ext) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := checkLen("ext", len(x.Data)); err != nil {
		return err
	}
	var tmp [8]byte
	w := enc.Writer()
	if _, err := w.Write(AppendExtHeader(tmp[:0], x.Type, len(x.Data))); err != nil {
		return err
	}
	_, err := w.Write(x.Data)
	return err
}

// AppendExtHeader appends the canonical header of an extension of type typ holding n bytes,
// including the type byte.
func AppendExtHeader(b []byte, typ int8, n int) []byte {
	switch n {
	case 1:
		return append(b, 0xd4, byte(typ))
	case 2:
		return append(b, 0xd5, byte(typ))
	case 4:
		return append(b, 0xd6, byte(typ))
	case 8:
		return append(b, 0xd7, byte(typ))
	case 16:
		return append(b, 0xd8, byte(typ))
	}
	switch {
	case n <= math.MaxUint8:
		b = append(b, 0xc7, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xc8), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xc9), uint32(n))
	}
	return append(b, byte(typ))
}

// DecodeMsgpack reads any extension, for values decoded through msgpack/v5.
func (x *Ext) DecodeMsgpack(dec *msgpack.Decoder) error {
	raw, err := dec.DecodeRaw()
	if err != nil {
		return err
	}
	v, n, err := readExt(raw)
	if err != nil {
		return err
	}
	if n != len(raw) {
		return liftErrorf("unexpected bytes after the extension (%d)", len(raw)-n)
	}
	*x = v
	return nil
}

// readTime reads the timestamp extension at the start of b (checked by Skip: 4, 8 or 12 bytes,
// nanoseconds below 10^9) as msgpack/v5 would: time.Unix in the local zone, except the zero
// time, which is UTC.
func readTime(b []byte) (time.Time, int, error) {
	if KindOf(b) != "time" {
		return time.Time{}, 0, &TypeError{Want: "time", Got: KindOf(b)}
	}
	_, p, n, err := extPayload(b)
	if err != nil {
		return time.Time{}, 0, err
	}
	if err := scan.CheckTimestamp(p); err != nil {
		return time.Time{}, 0, liftErrorf("%v", err)
	}
	var tm time.Time
	switch len(p) {
	case 4:
		tm = time.Unix(int64(binary.BigEndian.Uint32(p)), 0)
	case 8:
		u := binary.BigEndian.Uint64(p)
		tm = time.Unix(int64(u&(1<<34-1)), int64(u>>34))
	default: // 12
		tm = time.Unix(int64(binary.BigEndian.Uint64(p[4:])), int64(binary.BigEndian.Uint32(p)))
	}
	if tm.IsZero() {
		tm = tm.UTC()
	}
	return tm, n, nil
}
