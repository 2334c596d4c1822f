package scan

import "testing"

func TestKindOf(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "nothing",
		"\x05":                     "int",
		"\xe0":                     "int",
		"\xcb":                     "float",
		"\xa1x":                    "str",
		"\xc4\x00":                 "bin",
		"\x90":                     "array",
		"\x80":                     "map",
		"\xc0":                     "nil",
		"\xc3":                     "bool",
		"\xc1":                     "invalid",
		"\xd6\xff\x00\x00\x00\x00": "time",
		"\xc7\x0c\xff":             "time",
		"\xd4\x40\x00":             "ext 64",
		"\xd4\x01\x00":             "ext 1",
		"\xc7\x03\xfe":             "ext -2",
		"\xc8\x00":                 "ext",
	} {
		if got := KindOf([]byte(in)); got != want {
			t.Errorf("KindOf(%x) = %q, want %q", in, got, want)
		}
	}
}
