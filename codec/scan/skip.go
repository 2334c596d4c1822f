package scan

import (
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
		head, body, children, err := Header(b[off:])
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
