package codec

import (
	"encoding/binary"
	"math"
	"unicode/utf8"

	"github.com/virgilffi/virgil/scan"
)

// readInt reads an integer of any integer family at the start of b, checking it lies in [lo, hi].
func readInt(b []byte, lo, hi int64) (int64, int, error) {
	if len(b) == 0 {
		return 0, 0, &TypeError{Want: "int", Got: "nothing"}
	}
	c := b[0]
	if c <= 0x7f {
		return checkRange(int64(c), 1, lo, hi)
	}
	if c >= 0xe0 {
		return checkRange(int64(int8(c)), 1, lo, hi)
	}
	size := intSize(c)
	if size == 0 {
		return 0, 0, &TypeError{Want: "int", Got: KindOf(b)}
	}
	if len(b) < 1+size {
		return 0, 0, ErrTruncated
	}
	p := b[1:]
	switch c {
	case 0xcc:
		return checkRange(int64(p[0]), 2, lo, hi)
	case 0xcd:
		return checkRange(int64(binary.BigEndian.Uint16(p)), 3, lo, hi)
	case 0xce:
		return checkRange(int64(binary.BigEndian.Uint32(p)), 5, lo, hi)
	case 0xcf:
		u := binary.BigEndian.Uint64(p)
		if u > math.MaxInt64 {
			return 0, 0, &RangeError{Value: u, Lo: lo, Hi: hi}
		}
		return checkRange(int64(u), 9, lo, hi)
	case 0xd0:
		return checkRange(int64(int8(p[0])), 2, lo, hi)
	case 0xd1:
		return checkRange(int64(int16(binary.BigEndian.Uint16(p))), 3, lo, hi)
	case 0xd2:
		return checkRange(int64(int32(binary.BigEndian.Uint32(p))), 5, lo, hi)
	default: // 0xd3
		return checkRange(int64(binary.BigEndian.Uint64(p)), 9, lo, hi)
	}
}

// readUint reads a non-negative integer no larger than hi.
func readUint(b []byte, hi uint64) (uint64, int, error) {
	if len(b) > 0 && b[0] == 0xcf {
		if len(b) < 9 {
			return 0, 0, ErrTruncated
		}
		u := binary.BigEndian.Uint64(b[1:])
		if u > hi {
			return 0, 0, &RangeError{Value: u, Hi: int64(min(hi, math.MaxInt64))}
		}
		return u, 9, nil
	}
	v, n, err := readInt(b, 0, int64(min(hi, math.MaxInt64)))
	return uint64(v), n, err
}

func checkRange(v int64, n int, lo, hi int64) (int64, int, error) {
	if v < lo || v > hi {
		return 0, 0, &RangeError{Value: v, Lo: lo, Hi: hi}
	}
	return v, n, nil
}

// intSize is the payload size after an integer code, or 0 when c is no integer code.
func intSize(c byte) int {
	switch c {
	case 0xcc, 0xd0:
		return 1
	case 0xcd, 0xd1:
		return 2
	case 0xce, 0xd2:
		return 4
	case 0xcf, 0xd3:
		return 8
	}
	return 0
}

// readFloat reads a float 64, a float 32 or any integer (converted) at the start of b.
func readFloat(b []byte) (float64, int, error) {
	if len(b) > 0 && (b[0] == 0xcb || b[0] == 0xca) {
		if b[0] == 0xcb && len(b) >= 9 {
			return math.Float64frombits(binary.BigEndian.Uint64(b[1:])), 9, nil
		}
		if b[0] == 0xca && len(b) >= 5 {
			return float64(math.Float32frombits(binary.BigEndian.Uint32(b[1:]))), 5, nil
		}
		return 0, 0, ErrTruncated
	}
	if len(b) > 0 && b[0] == 0xcf {
		u, n, err := readUint(b, math.MaxUint64)
		return float64(u), n, err
	}
	v, n, err := readInt(b, math.MinInt64, math.MaxInt64)
	if err != nil {
		if te, ok := err.(*TypeError); ok {
			te.Want = "float"
		}
		return 0, 0, err
	}
	return float64(v), n, nil
}

// readString reads a str (only a str) at the start of b, copying it, and checks that it is
// valid UTF-8 (cabi/ABI.md section 5), for input Skip has not checked.
func readString(b []byte) (string, int, error) {
	head, n, err := strOrBin(b, "str")
	if err != nil {
		return "", 0, err
	}
	s := b[head : head+n]
	if !utf8.Valid(s) {
		return "", 0, liftErrorf("a str that is not valid UTF-8")
	}
	return string(s), head + n, nil
}

// readCheckedString is readString for a value Skip has checked, so valid UTF-8.
func readCheckedString(b []byte) (string, int, error) {
	head, n, err := strOrBin(b, "str")
	if err != nil {
		return "", 0, err
	}
	return string(b[head : head+n]), head + n, nil
}

// readBytesInto reads a bin (or nil, as a nil slice) at the start of b, copying it into dst's
// memory when it has the capacity, as encoding/json reuses a slice it decodes into.
func readBytesInto(dst, b []byte) ([]byte, int, error) {
	if len(b) > 0 && b[0] == 0xc0 {
		return nil, 1, nil
	}
	head, n, err := strOrBin(b, "bin")
	if err != nil {
		return nil, 0, err
	}
	if cap(dst) < n {
		dst = nil // append then allocates without zeroing memory it is about to overwrite
	}
	return append(dst[:0], b[head:head+n]...), head + n, nil
}

// strOrBin reads the header of a str or bin (as want says) and checks its payload is there.
func strOrBin(b []byte, want string) (head, n int, err error) {
	if len(b) == 0 || Kind(b[0]) != want {
		return 0, 0, &TypeError{Want: want, Got: KindOf(b)}
	}
	h, body, _, err := scan.Header(b)
	if err != nil {
		return 0, 0, err
	}
	if uint64(len(b)-h) < body {
		return 0, 0, ErrTruncated
	}
	return h, int(body), nil
}

// strOrBinLen checks for a whole str or bin (as want says) and returns its length.
func strOrBinLen(b []byte, want string) (int, error) {
	if len(b) > 0 && isExtHeader(b[0]) {
		if n, ok := borrowedLen(b, want); ok {
			return n, nil // a borrowed value, checked when lifted (borrow.go)
		}
	}
	head, n, err := strOrBin(b, want)
	return head + n, err
}

// readBool reads a boolean at the start of b.
func readBool(b []byte) (bool, int, error) {
	if len(b) > 0 && (b[0] == 0xc2 || b[0] == 0xc3) {
		return b[0] == 0xc3, 1, nil
	}
	return false, 0, &TypeError{Want: "bool", Got: KindOf(b)}
}
