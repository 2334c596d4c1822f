package exceptions

import (
	"fmt"

	"github.com/virgilffi/virgil/scan"
	"github.com/vmihailenco/msgpack/v5"
)

// kindOf names the MessagePack family whose value starts with code c, for
// error messages: "int", "str", "map", ... (package scan's words), or
// "invalid code 0xc1".
func kindOf(c byte) string {
	if k := scan.Kind(c); k != "invalid" {
		return k
	}
	return fmt.Sprintf("invalid code 0x%02x", c)
}

// isInt reports whether c starts an integer of any size.
func isInt(c byte) bool { return scan.Kind(c) == "int" }

// isArray reports whether c starts an array.
func isArray(c byte) bool { return scan.Kind(c) == "array" }

// isMap reports whether c starts a map.
func isMap(c byte) bool { return scan.Kind(c) == "map" }

// errTooDeep is returned for input nested deeper than MaxNesting.
// It is scan.ErrLimit for errors.Is.
var errTooDeep = fmt.Errorf("nesting deeper than %d arrays and maps: %w", MaxNesting, scan.ErrLimit)

// skipValue skips one value of any type without recursion. depth is the
// nesting depth the value has if it is an array or a map (the outermost
// record being at depth 1); containers deeper than MaxNesting are rejected
// before their contents are read.
//
// Each header is read whole and measured by scan.Header; payloads are
// dropped in bounded chunks (see discard), so a declared length costs no
// memory, only a read that finds the input truncated.
func skipValue(dec *msgpack.Decoder, depth int) error {
	// left holds, for each open container (and, first, for the value
	// itself), how many values remain to be skipped in it.
	left := []uint64{1}
	var head [6]byte // the longest header: ext 32
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
		if (isArray(c) || isMap(c)) && depth+top > MaxNesting {
			return errTooDeep
		}
		n := scan.HeaderLen(c)
		if n < 0 {
			return fmt.Errorf("invalid code 0x%02x", c)
		}
		if err := dec.ReadFull(head[:n]); err != nil {
			return err
		}
		_, body, children, err := scan.Header(head[:n])
		if err != nil {
			return err
		}
		if err := discard(dec, body); err != nil {
			return err
		}
		if children > 0 {
			left = append(left, children)
		}
	}
	return nil
}
