package uncurry_test

import (
	"bytes"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/uncurry"
)

// The manifest's optional key "borrow" (cabi/ABI.md section 8) follows "functions" when true and
// is omitted when false, so manifests without it encode as before; both read back.
func TestManifestBorrowKey(t *testing.T) {
	for _, borrow := range []bool{false, true} {
		m := uncurry.Manifest{ABI: 1, Library: "l", Language: "go", Version: "1", Functions: []*uncurry.Function{}, Borrow: borrow}
		var buf bytes.Buffer
		if err := codec.NewEncoder(&buf).Encode(&m); err != nil {
			t.Fatal(err)
		}
		enc := buf.Bytes()
		head, tail := byte(0x85), []byte("\xa9functions\x90") // a map of 5 keys ending in "functions"
		if borrow {
			head, tail = 0x86, append(tail, "\xa6borrow\xc3"...)
		}
		if enc[0] != head || !bytes.HasSuffix(enc, tail) {
			t.Fatalf("borrow %v: encoded %x", borrow, enc)
		}
		var back uncurry.Manifest
		if err := codec.NewDecoder(enc).Decode(&back); err != nil || back.Borrow != borrow {
			t.Fatalf("borrow %v: read back %v, %v", borrow, back.Borrow, err)
		}
	}
}
