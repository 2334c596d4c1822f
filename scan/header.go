package scan

import (
	"encoding/binary"
	"fmt"
)

// Header reads the header of the value at the start of b (which must not be empty): the header's
// own length, the length of the payload that follows it, and how many nested values follow
// (array elements, or map keys and values). Scalars of a fixed size have their payload in body
// (a float 64 is head 1, body 8); an extension's type byte belongs to its header, except for the
// fixext codes, whose payload includes it. Header does not check that the payload is present.
// It returns ErrTruncated when b ends inside the header and an error for the reserved code 0xc1.
func Header(b []byte) (head int, body, children uint64, err error) {
	c := b[0]
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return 1, 0, 0, nil
	case c >= 0xa0 && c <= 0xbf:
		return 1, uint64(c & 0x1f), 0, nil
	case c >= 0x90 && c <= 0x9f:
		return 1, 0, uint64(c & 0x0f), nil
	case c >= 0x80 && c <= 0x8f:
		return 1, 0, 2 * uint64(c&0x0f), nil
	}
	size, kind := headerShape(c)
	if size < 0 {
		return 0, 0, 0, fmt.Errorf("invalid code 0x%02x", c)
	}
	if len(b) < 1+size {
		return 0, 0, 0, ErrTruncated
	}
	var n uint64
	switch size {
	case 1:
		n = uint64(b[1])
	case 2:
		n = uint64(binary.BigEndian.Uint16(b[1:]))
	case 4:
		n = uint64(binary.BigEndian.Uint32(b[1:]))
	}
	switch kind {
	case shapeFixed:
		return 1, fixedPayload(c), 0, nil
	case shapeBytes:
		return 1 + size, n, 0, nil
	case shapeExt:
		if len(b) < 2+size {
			return 0, 0, 0, ErrTruncated
		}
		return 2 + size, n, 0, nil
	case shapeArray:
		return 1 + size, 0, n, nil
	default: // shapeMap
		return 1 + size, 0, 2 * n, nil
	}
}

// HeaderLen returns how many bytes the header started by code c occupies, the head that Header
// reports for it (1 to 6), or -1 for the reserved code 0xc1. A streaming reader reads that many
// bytes, passes them to Header, then reads or skips the payload.
func HeaderLen(c byte) int {
	switch {
	case c <= 0x7f || c >= 0xe0 || c >= 0x80 && c <= 0xbf || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return 1
	}
	size, kind := headerShape(c)
	switch {
	case size < 0:
		return -1
	case kind == shapeFixed:
		return 1
	case kind == shapeExt:
		return 2 + size
	}
	return 1 + size
}

type shape int

const (
	shapeFixed shape = iota // a payload of a fixed size, given by fixedPayload
	shapeBytes
	shapeExt
	shapeArray
	shapeMap
)

// headerShape tells how long the length field after code c is (0 for fixed-size payloads) and
// what follows; size -1 marks an invalid code. Codes that hold their length themselves (fixstr,
// fixarray, fixmap, fixint, nil, bool) are handled by the callers.
func headerShape(c byte) (size int, kind shape) {
	switch c {
	case 0xc4, 0xd9:
		return 1, shapeBytes
	case 0xc5, 0xda:
		return 2, shapeBytes
	case 0xc6, 0xdb:
		return 4, shapeBytes
	case 0xc7:
		return 1, shapeExt
	case 0xc8:
		return 2, shapeExt
	case 0xc9:
		return 4, shapeExt
	case 0xdc:
		return 2, shapeArray
	case 0xdd:
		return 4, shapeArray
	case 0xde:
		return 2, shapeMap
	case 0xdf:
		return 4, shapeMap
	case 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return 0, shapeFixed
	}
	return -1, 0
}

// fixedPayload is the payload length after a fixed-size code (fixext includes its type byte).
func fixedPayload(c byte) uint64 {
	switch c {
	case 0xca, 0xce, 0xd2:
		return 4
	case 0xcb, 0xcf, 0xd3:
		return 8
	case 0xcc, 0xd0:
		return 1
	case 0xcd, 0xd1:
		return 2
	case 0xd4:
		return 2
	case 0xd5:
		return 3
	case 0xd6:
		return 5
	case 0xd7:
		return 9
	default: // 0xd8
		return 17
	}
}
