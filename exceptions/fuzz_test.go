package exceptions

import (
	"bytes"
	"testing"
)

// FuzzUnmarshal checks that no input makes Unmarshal panic, and that every
// record it accepts encodes, and decodes back to an equal record whose
// encoding is the same canonical bytes.
func FuzzUnmarshal(f *testing.F) {
	for _, v := range recordVectors(f) {
		f.Add(v.input)
	}
	f.Add(chainOf(3))
	f.Add([]byte{0x81, 0xa4, 'n', 'a', 'm', 'e', 0xa1, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Unmarshal(b)
		if err != nil {
			if e != nil {
				t.Fatal("an error and an exception")
			}
			return
		}
		encoded, err := Marshal(e)
		if err != nil {
			t.Fatalf("Marshal of a decoded record: %v", err)
		}
		back, err := Unmarshal(encoded)
		if err != nil {
			t.Fatalf("Unmarshal of Marshal's output %x: %v", encoded, err)
		}
		if !equalRecords(e, back) {
			t.Fatalf("round trip changed the record:\n%#v\n%#v", exported(e), exported(back))
		}
		again, err := Marshal(back)
		if err != nil || !bytes.Equal(again, encoded) {
			t.Fatalf("encoding is not canonical: %x then %x (%v)", encoded, again, err)
		}
	})
}
