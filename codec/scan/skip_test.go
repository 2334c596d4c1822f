package scan

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSkipRejectsMalformed(t *testing.T) {
	deep := bytes.Repeat([]byte{0x91}, MaxDepth+1)
	deep = append(deep, 0xc0)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "truncated"},
		{"reserved code", "\xc1", "invalid code 0xc1"},
		{"truncated array", "\x92\x01", "truncated"},
		{"truncated str", "\xa5Hel", "truncated"},
		{"truncated uint16", "\xcd\x01", "truncated"},
		{"truncated bin32 header", "\xc6\x00\x00", "truncated"},
		{"huge bin32", "\xc6\xff\xff\xff\xff", "truncated"},
		{"huge array32", "\xdd\xff\xff\xff\xff", "truncated"},
		{"truncated ext8", "\xc7\x05", "truncated"},
		{"too deep", string(deep), "nesting deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Skip([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Skip(%x) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
	if _, err := Skip([]byte{0x92}); !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncation must wrap ErrTruncated, got %v", err)
	}
}

func TestSkipAcceptsDepthLimit(t *testing.T) {
	ok := append(bytes.Repeat([]byte{0x91}, MaxDepth), 0xc0)
	if n, err := Skip(ok); err != nil || n != len(ok) {
		t.Fatalf("nesting of exactly %d levels: %d, %v", MaxDepth, n, err)
	}
	// Siblings after a deep branch are counted at the right level.
	in := []byte{0x92, 0x91, 0x91, 0x01, 0x02, 0xff}
	if n, err := Skip(in); err != nil || n != 5 {
		t.Fatalf("Skip = %d, %v; want 5", n, err)
	}
}

func TestSkipMeasuresEveryFamily(t *testing.T) {
	for in, want := range map[string]int{
		"\x05":                                 1,
		"\xcb\x00\x00\x00\x00\x00\x00\x00\x00": 9,
		"\xa3abc":                              4,
		"\xd9\x01x":                            3,
		"\xc4\x02\x00\x00":                     4,
		"\xc7\x01\x05\x00":                     4,
		"\xd6\xff\x00\x00\x00\x00":             6,
		"\x92\x01\xa1x":                        4,
		"\x81\xa1k\x90":                        4,
		"\xde\x00\x01\x01\x02":                 5,
	} {
		if n, err := Skip([]byte(in + "\xff\xff")); err != nil || n != want {
			t.Errorf("Skip(%x) = %d, %v; want %d", in, n, err, want)
		}
	}
}
