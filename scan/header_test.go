package scan

import (
	"errors"
	"testing"
)

// HeaderLen agrees with Header for every code, and Header never reads past a short input.
func TestHeaderLenMatchesHeader(t *testing.T) {
	for c := range 256 {
		full := []byte{byte(c), 0, 0, 0, 1, 0, 0, 0, 0}
		n := HeaderLen(byte(c))
		head, _, _, err := Header(full)
		if c == 0xc1 {
			if n != -1 || err == nil {
				t.Errorf("0xc1: HeaderLen %d, Header error %v", n, err)
			}
			continue
		}
		if err != nil || head != n {
			t.Errorf("0x%02x: HeaderLen %d, Header head %d (%v)", c, n, head, err)
		}
		for short := 1; short < n; short++ {
			if _, _, _, err := Header(full[:short]); !errors.Is(err, ErrTruncated) {
				t.Errorf("0x%02x cut to %d bytes: %v", c, short, err)
			}
		}
	}
}

func TestHeaderParts(t *testing.T) {
	for _, tc := range []struct {
		in             string
		head           int
		body, children uint64
	}{
		{"\xcb", 1, 8, 0},
		{"\xa3", 1, 3, 0},
		{"\xdb\x00\x01\x00\x00", 5, 65536, 0},
		{"\xc8\x01\x00\x07", 4, 256, 0},
		{"\xd8\x07", 1, 17, 0},
		{"\x93", 1, 0, 3},
		{"\x82", 1, 0, 4},
		{"\xdf\x00\x00\x00\x02", 5, 0, 4},
	} {
		head, body, children, err := Header([]byte(tc.in))
		if err != nil || head != tc.head || body != tc.body || children != tc.children {
			t.Errorf("Header(%x) = %d, %d, %d, %v; want %d, %d, %d", tc.in, head, body, children, err, tc.head, tc.body, tc.children)
		}
	}
}
