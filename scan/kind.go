package scan

import "strconv"

// Kind names the MessagePack family that code c starts, in the words error messages use: nil,
// bool, int, float, str, bin, array, map, ext, invalid (for 0xc1). An ext of type -1 (time)
// cannot be told from the code alone, so time is reported as ext here; see KindOf.
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
// extension) from other extensions, which it names with their type: "ext 1", "ext 64". It
// returns "nothing" for empty input.
func KindOf(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	k := Kind(b[0])
	if k == "ext" {
		if t, ok := ExtType(b); ok {
			if t == -1 {
				return "time"
			}
			return "ext " + strconv.Itoa(int(t))
		}
	}
	return k
}

// ExtType returns the type of the extension value at the start of b, and false when b does not
// start with a complete extension header.
func ExtType(b []byte) (int8, bool) {
	switch {
	case len(b) >= 2 && b[0] >= 0xd4 && b[0] <= 0xd8:
		return int8(b[1]), true
	case len(b) >= 3 && b[0] == 0xc7:
		return int8(b[2]), true
	case len(b) >= 4 && b[0] == 0xc8:
		return int8(b[3]), true
	case len(b) >= 6 && b[0] == 0xc9:
		return int8(b[5]), true
	}
	return 0, false
}
