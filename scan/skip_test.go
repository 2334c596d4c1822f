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

// The edges of cabi/ABI.md section 5 that Skip refuses wherever they sit, and those it accepts.
func TestSkipEdges(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"invalid UTF-8", "\xa2\xc3\x28", "not valid UTF-8"},
		{"surrogate", "\xa3\xed\xa0\x80", "not valid UTF-8"},
		{"overlong", "\xa2\xc0\xaf", "not valid UTF-8"},
		{"invalid UTF-8 in str8", "\xd9\x01\xff", "not valid UTF-8"},
		{"invalid UTF-8 as a key", "\x81\xa2\xc3\x28\x01", "not valid UTF-8"},
		{"invalid UTF-8 deep", "\x91\x91\x81\xa1k\xa1\xff", "not valid UTF-8"},
		{"timestamp 64 with 1e9 ns", "\xd7\xff\xee\x6b\x28\x00\x00\x00\x00\x01", "1000000000 nanoseconds"},
		{"timestamp 96 with 1e9 ns", "\xc7\x0c\xff\x3b\x9a\xca\x00\x00\x00\x00\x00\x00\x00\x00\x01", "1000000000 nanoseconds"},
		{"timestamp of 3 bytes", "\xc7\x03\xff\x00\x00\x00", "timestamp of 3 bytes"},
		{"timestamp of 1 byte", "\xd4\xff\x00", "timestamp of 1 byte"},
		{"timestamp of 16 bytes", "\xd8\xff" + strings.Repeat("\x00", 16), "timestamp of 16 bytes"},
		{"array as a key", "\x81\x91\x01\x01", "a map key is an array"},
		{"map as a key", "\x81\x81\x01\x01\x01", "a map key is a map"},
		{"map16 as a key", "\x82\x01\x02\xde\x00\x00\x01", "a map key is a map"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Skip([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Skip(%x) = %v, want an error containing %q", tc.in, err, tc.want)
			}
			if errors.Is(err, ErrLimit) {
				t.Fatalf("Skip(%x): %v is malformed, not a limit", tc.in, err)
			}
		})
	}
	for _, in := range []string{
		"\xa2\xc3\xa9",                             // é
		"\xd6\xff\x00\x00\x00\x01",                 // timestamp 32
		"\xd7\xff\xee\x6b\x27\xfc\x00\x00\x00\x01", // timestamp 64, 999999999 ns
		"\xc7\x0c\xff\x00\x00\x00\x05" + "\xff\xff\xff\xff\xff\xff\xff\xff", // before 1970
		"\xd4\x01\x00",                 // ext 1
		"\xc7\x03\x41\x01\x02\x03",     // ext 65
		"\x82\xc0\x01\xd4\x01\x00\x02", // nil and ext keys
		"\x81\x01\x91\x81\x01\x90",     // containers as values
		"\xc4\x02\xc3\x28",             // bin is not text
	} {
		if n, err := Skip([]byte(in)); err != nil || n != len(in) {
			t.Errorf("Skip(%x) = %d, %v; want %d", in, n, err, len(in))
		}
	}
}

// Nesting too deep is a limit (ErrLimit), for arrays and maps alike, at exactly MaxDepth+1.
func TestSkipDepthIsALimit(t *testing.T) {
	for _, open := range []string{"\x91", "\x81\xa1a"} {
		ok := strings.Repeat(open, MaxDepth) + "\x01"
		if _, err := Skip([]byte(ok)); err != nil {
			t.Fatalf("%d levels of %x: %v", MaxDepth, open, err)
		}
		deep := strings.Repeat(open, MaxDepth+1) + "\x01"
		_, err := Skip([]byte(deep))
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "nesting deeper than 512") {
			t.Fatalf("%d levels of %x: %v, want a limit", MaxDepth+1, open, err)
		}
	}
}
