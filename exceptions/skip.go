package exceptions

import (
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// kindOf names the MessagePack family whose value starts with code c, for
// error messages: "int", "str", "map", ...
func kindOf(c byte) string {
	switch {
	case msgpcode.IsFixedNum(c), c >= msgpcode.Uint8 && c <= msgpcode.Int64:
		return "int"
	case c == msgpcode.Nil:
		return "nil"
	case c == msgpcode.False, c == msgpcode.True:
		return "bool"
	case c == msgpcode.Float, c == msgpcode.Double:
		return "float"
	case msgpcode.IsString(c):
		return "str"
	case msgpcode.IsBin(c):
		return "bin"
	case isArray(c):
		return "array"
	case isMap(c):
		return "map"
	case msgpcode.IsExt(c):
		return "ext"
	}
	return fmt.Sprintf("invalid code 0x%02x", c)
}

// isInt reports whether c starts an integer of any size.
func isInt(c byte) bool {
	return msgpcode.IsFixedNum(c) || c >= msgpcode.Uint8 && c <= msgpcode.Int64
}

// isArray reports whether c starts an array.
func isArray(c byte) bool {
	return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
}

// isMap reports whether c starts a map.
func isMap(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}

// errTooDeep is returned for input nested deeper than MaxNesting.
var errTooDeep = fmt.Errorf("nesting deeper than %d arrays and maps", MaxNesting)

// skipValue skips one value of any type without recursion. depth is the
// nesting depth the value has if it is an array or a map (the outermost
// record being at depth 1); containers deeper than MaxNesting are rejected
// before their contents are read.
func skipValue(dec *msgpack.Decoder, depth int) error {
	// left holds, for each open container (and, first, for the value
	// itself), how many values remain to be skipped in it.
	left := []int{1}
	for len(left) > 0 {
		top := len(left) - 1
		if left[top] == 0 {
			left = left[:top]
			continue
		}
		left[top]--
		c, err := dec.PeekCode()
		if err != nil {
			return err
		}
		here := depth + top
		switch {
		case isArray(c):
			if here > MaxNesting {
				return errTooDeep
			}
			n, err := dec.DecodeArrayLen()
			if err != nil {
				return err
			}
			if n > 0 {
				left = append(left, n)
			}
		case isMap(c):
			if here > MaxNesting {
				return errTooDeep
			}
			n, err := dec.DecodeMapLen()
			if err != nil {
				return err
			}
			if n > math.MaxInt/2 {
				return fmt.Errorf("map of %d entries is too large", n)
			}
			if n > 0 {
				left = append(left, 2*n)
			}
		case isBlob(c):
			if err := skipBlob(dec, c); err != nil {
				return err
			}
		default:
			// A scalar of at most 9 bytes: msgpack's Skip reads it.
			if err := dec.Skip(); err != nil {
				return err
			}
		}
	}
	return nil
}
