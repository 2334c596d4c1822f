package scan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and maps a decoder accepts (cabi/ABI.md section 11).
const MaxDepth = 512

// ErrTruncated is wrapped by errors about input that ends inside a value.
var ErrTruncated = errors.New("truncated input")

// ErrLimit is wrapped by errors about input that exceeds a limit of cabi/ABI.md section 11
// (nesting deeper than MaxDepth): virgil.LimitExceeded rather than a malformed value.
var ErrLimit = errors.New("limit exceeded")

// limitError is an error about a limit: it says what was exceeded and is ErrLimit for errors.Is.
type limitError string

func (e limitError) Error() string        { return string(e) }
func (e limitError) Is(target error) bool { return target == ErrLimit }

// Skip measures the one MessagePack value at the start of b and returns its length in bytes. It
// never recurses and never reads past b. Besides the structure (truncated input, the reserved
// code 0xc1, nesting deeper than MaxDepth, which wraps ErrLimit), it checks the edges of
// cabi/ABI.md section 5 that do not depend on the target type: every str is valid UTF-8, every
// timestamp (extension -1) is 4, 8 or 12 bytes with nanoseconds below 10^9, and no map key is an
// array or a map. Duplicate map keys are left to the decoders, which compare keys as values.
func Skip(b []byte) (int, error) {
	if len(b) > 0 && (b[0] <= 0x7f || b[0] >= 0xe0 || b[0] == 0xc0 || b[0] == 0xc2 || b[0] == 0xc3) {
		return 1, nil // the commonest case: a one-byte value
	}
	// stack[i] counts the values still to read at depth i, shifted left by one, with the low bit
	// set for a map (whose keys are then the values read while the count is even). The top level
	// wants one value. It grows on demand, so a flat value costs no large buffer.
	var small [16]uint64
	stack := small[:1]
	depth, off := 0, 0
	stack[0] = 1 << 1
	for {
		for depth >= 0 && stack[depth]>>1 == 0 {
			depth--
		}
		if depth < 0 {
			return off, nil
		}
		isKey := stack[depth]&1 == 1 && (stack[depth]>>1)%2 == 0
		stack[depth] -= 1 << 1
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
		c := b[off]
		switch {
		case c >= 0xa0 && c <= 0xbf || c >= 0xd9 && c <= 0xdb: // str
			if !utf8.Valid(b[off+head : off+head+int(body)]) {
				return 0, fmt.Errorf("msgpack: a str that is not valid UTF-8 at byte %d", off)
			}
		case c >= 0xd4 && c <= 0xd8 || c >= 0xc7 && c <= 0xc9: // ext
			if err := checkExt(b[off:off+head+int(body)], head); err != nil {
				return 0, fmt.Errorf("msgpack: %w at byte %d", err, off)
			}
		}
		off += head + int(body)
		if isKey && (c&0xf0 == 0x80 || c&0xf0 == 0x90 || c >= 0xdc && c <= 0xdf) {
			return 0, fmt.Errorf("msgpack: a map key is %s at byte %d: map keys are scalars", withArticle(Kind(c)), off-head)
		}
		if c&0xf0 == 0x80 || c&0xf0 == 0x90 || c >= 0xdc && c <= 0xdf {
			if depth == MaxDepth {
				return 0, limitError(fmt.Sprintf("msgpack: nesting deeper than %d levels at byte %d", MaxDepth, off))
			}
			depth++
			if depth == len(stack) {
				stack = append(stack, 0)
			}
			stack[depth] = children << 1
			if c&0xf0 == 0x80 || c == 0xde || c == 0xdf {
				stack[depth] |= 1
			}
		}
	}
}

// checkExt checks the extension v, whose header is head bytes long: a timestamp (type -1) must
// be one.
func checkExt(v []byte, head int) error {
	if t, _ := ExtType(v); t != -1 {
		return nil
	}
	if v[0] >= 0xd4 && v[0] <= 0xd8 {
		return CheckTimestamp(v[2:]) // a fixext's payload includes its type byte
	}
	return CheckTimestamp(v[head:])
}

// CheckTimestamp checks the payload of a timestamp extension (type -1): 4, 8 or 12 bytes, with
// nanoseconds below 10^9 (cabi/ABI.md section 5).
func CheckTimestamp(data []byte) error {
	var nsec uint64
	switch len(data) {
	case 4:
		return nil
	case 8:
		nsec = binary.BigEndian.Uint64(data) >> 34
	case 12:
		nsec = uint64(binary.BigEndian.Uint32(data))
	default:
		return fmt.Errorf("a timestamp of %d bytes (4, 8 or 12)", len(data))
	}
	if nsec >= 1e9 {
		return fmt.Errorf("a timestamp with %d nanoseconds (at most 999999999)", nsec)
	}
	return nil
}

// withArticle puts "a" or "an" before a kind's name.
func withArticle(kind string) string {
	switch kind[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + kind
	}
	return "a " + kind
}
