package exceptions

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Strings, byte strings and extension values are read here rather than with
// msgpack's DecodeString and Skip. Those read through the decoder's internal
// buffer, which (msgpack v5.4.1) grows by at least a megabyte, and
// geometrically when reused, every time a declared length is larger than the
// bytes that follow; a pooled decoder fed a few truncated records would hold
// on to gigabytes. Reading in bounded chunks into buffers of our own keeps
// memory proportional to the bytes actually present.

// The first read of a string is at most firstChunk bytes; later reads
// double, up to maxChunk.
const (
	firstChunk = 4 << 10
	maxChunk   = 1 << 20
)

// readStr reads a str value (the caller checked its code).
func readStr(dec *msgpack.Decoder) (string, error) {
	n, err := dec.DecodeBytesLen() // reads the code and the length; n is -1 for nil
	if err != nil || n <= 0 {
		return "", err
	}
	// Start small and double: a truncated value costs little, a long one
	// at most twice its length.
	b := make([]byte, 0, min(n, firstChunk))
	for len(b) < n {
		k := min(n-len(b), max(len(b), firstChunk), maxChunk)
		b = append(b, make([]byte, k)...)
		if err := dec.ReadFull(b[len(b)-k:]); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// skipBlob skips a str, bin or ext value, starting with code c (not yet
// consumed).
func skipBlob(dec *msgpack.Decoder, c byte) error {
	var n int
	if msgpcode.IsExt(c) {
		var head [5]byte // code, then 0, 1, 2 or 4 length bytes
		size := 1
		switch c {
		case msgpcode.Ext8:
			size = 2
		case msgpcode.Ext16:
			size = 3
		case msgpcode.Ext32:
			size = 5
		}
		if err := dec.ReadFull(head[:size]); err != nil {
			return err
		}
		switch c {
		case msgpcode.FixExt1:
			n = 1
		case msgpcode.FixExt2:
			n = 2
		case msgpcode.FixExt4:
			n = 4
		case msgpcode.FixExt8:
			n = 8
		case msgpcode.FixExt16:
			n = 16
		default:
			n = int(bigEndian(head[1:size]))
		}
		n++ // the type byte
	} else {
		var err error
		if n, err = dec.DecodeBytesLen(); err != nil {
			return err
		}
	}
	return discard(dec, n)
}

// discard reads and drops n bytes.
func discard(dec *msgpack.Decoder, n int) error {
	if n < 0 {
		return fmt.Errorf("negative length %d", n)
	}
	var scratch [4096]byte
	for n > 0 {
		k := min(n, len(scratch))
		if err := dec.ReadFull(scratch[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// bigEndian decodes an unsigned big-endian integer of up to 4 bytes.
func bigEndian(b []byte) uint32 {
	var v uint32
	for _, x := range b {
		v = v<<8 | uint32(x)
	}
	return v
}

// isBlob reports whether c starts a str, bin or ext value.
func isBlob(c byte) bool {
	return msgpcode.IsString(c) || msgpcode.IsBin(c) || msgpcode.IsExt(c)
}
