package codec

import (
	"bytes"
	"errors"
	"testing"

	"github.com/virgilffi/virgil/scan"
)

// The scanning API is package scan's; codec's names must stay the same thing (scan's own tests
// cover the behaviour).
func TestScanAliases(t *testing.T) {
	if MaxDepth != scan.MaxDepth || ErrTruncated != scan.ErrTruncated {
		t.Fatal("MaxDepth or ErrTruncated differ from package scan's")
	}
	if _, err := Skip([]byte{0x92}); !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncation must wrap ErrTruncated, got %v", err)
	}
	deep := append(bytes.Repeat([]byte{0x91}, MaxDepth+1), 0xc0)
	if _, err := Skip(deep); err == nil {
		t.Fatal("nesting deeper than MaxDepth accepted")
	}
	if n, err := Skip([]byte{0x92, 0x01, 0xa1, 'x', 0xff}); n != 4 || err != nil {
		t.Fatalf("Skip = %d, %v", n, err)
	}
	if Kind(0xcb) != "float" || KindOf([]byte{0xd6, 0xff, 0, 0, 0, 0}) != "time" || KindOf(nil) != "nothing" {
		t.Fatal("Kind or KindOf differ from package scan's")
	}
}
