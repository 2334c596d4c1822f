package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxDepth is the deepest nesting of arrays and maps a decoder accepts (cabi/ABI.md section 11).
const MaxDepth = 512

// ErrTruncated is wrapped by errors about input that ends inside a value.
var ErrTruncated = errors.New("truncated input")

// Skip measures the one MessagePack value at the start of b and returns its length in bytes. It
// never recurses and never reads past b: it rejects truncated input, the reserved code 0xc1 and
// nesting deeper than MaxDepth with a descriptive error.
func Skip(b []byte) (int, error) {
	if len(b) > 0 && (b[0] <= 0x7f || b[0] >= 0xe0 || b[0] == 0xc0 || b[0] == 0xc2 || b[0] == 0xc3) {
		return 1, nil // the commonest case: a one-byte value
	}
	// stack[i] counts the values still to read at depth i; the top level wants one. It grows on
	// demand, so a flat value costs no large buffer.
	var small [16]uint64
	stack := small[:1]
	depth, off := 0, 0
	stack[0] = 1
	for {
		for depth >= 0 && stack[depth] == 0 {
			depth--
		}
		if depth < 0 {
			return off, nil
		}
		stack[depth]--
		if off >= len(b) {
			return 0, fmt.Errorf("msgpack: %w at byte %d", ErrTruncated, off)
		}
		head, body, children, err := measure(b[off:])
		if err != nil {
			return 0, fmt.Errorf("msgpack: %w at byte %d", err, off)
		}
		if uint64(len(b)-off-head) < body {
			return 0, fmt.Errorf("msgpack: %w at byte %d: %s wants %d bytes, %d remain", ErrTruncated, off, Kind(b[off]), body, len(b)-off-head)
		}
		off += head + int(body)
		if children > 0 {
			if depth == MaxDepth {
				return 0, fmt.Errorf("msgpack: nesting deeper than %d levels at byte %d", MaxDepth, off)
			}
			depth++
			if depth == len(stack) {
				stack = append(stack, 0)
			}
			stack[depth] = children
		}
	}
}

// measure reads the header at the start of b: its own length, the length of the payload that
// follows it, and how many nested values follow (array elements, or map keys and values).
func measure(b []byte) (head int, body, children uint64, err error) {
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
	case shapeFixed: // the payload has a fixed size, given as n by headerShape's caller below
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

type shape int

const (
	shapeFixed shape = iota
	shapeBytes
	shapeExt
	shapeArray
	shapeMap
)

// headerShape tells how long the length field after code c is (0 for fixed-size payloads) and
// what follows; size -1 marks an invalid code.
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

// Kind names the MessagePack family that code c starts, in the words error messages use: nil,
// bool, int, float, str, bin, array, map, ext, time (an ext of type -1 cannot be told from the
// code alone, so time is reported as ext here; see KindOf).
func Kind(c byte) string {
	switch {
	case c <= 0x7f || c >= 0xe0 || (c >= 0xcc && c <= 0xd3):
		return "int"
	case c >= 0x80 && c <= 0x8f, c == 0xde, c == 0xdf:
		return "map"
	case c >= 0x90 && c <= 0x9f, c == 0xdc, c == 0xdd:
		return "array"
	case c >= 0xa0 && c <= 0xbf, c >= 0xd9 && c <= 0xdb:
		return "str"
	case c == 0xc0:
		return "nil"
	case c == 0xc2 || c == 0xc3:
		return "bool"
	case c >= 0xc4 && c <= 0xc6:
		return "bin"
	case c == 0xca || c == 0xcb:
		return "float"
	case c == 0xc1:
		return "invalid"
	default:
		return "ext"
	}
}

// KindOf names the family of the value at the start of b like Kind, telling time (the timestamp
// extension) from other extensions. It returns "nothing" for empty input.
func KindOf(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	if extType(b) == -1 {
		return "time"
	}
	return Kind(b[0])
}

// extType returns the type byte of the extension value at the start of b, or 0 when b does not
// start with a (complete enough) extension header.
func extType(b []byte) int8 {
	switch {
	case len(b) >= 2 && b[0] >= 0xd4 && b[0] <= 0xd8:
		return int8(b[1])
	case len(b) >= 3 && b[0] == 0xc7:
		return int8(b[2])
	case len(b) >= 4 && b[0] == 0xc8:
		return int8(b[3])
	case len(b) >= 6 && b[0] == 0xc9:
		return int8(b[5])
	}
	return 0
}
