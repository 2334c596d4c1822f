package exceptions

import (
	"bytes"
	"fmt"
	"testing"
	"time"
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
	// Records with attributes of every family, at the top and in a cause.
	for _, attrs := range []Attributes{
		{"errno": int64(2), "filename": "/etc/app.toml", "filename2": "/b"},
		{"args": []any{"x", int64(-1), 1.5, nil, true}, "big": uint64(1) << 63},
		{"detail": map[string]any{"used": 1.5, "limits": []any{int64(1), int64(2)}}, "bin": []byte{1, 2}},
		{"when": time.Unix(1<<33, 5), "n": int64(-1 << 40)},
	} {
		top := &Exception{Name: "FileNotFoundError", Message: "m", Language: "go", Attributes: attrs,
			Cause: &Exception{Name: "OSError", Language: "c", Attributes: attrs, Notes: []string{"n"}}}
		if b, err := Marshal(top); err == nil {
			f.Add(b)
		}
	}
	f.Add(recordWithAttributes([]byte("\x81\xa1m\x82\x01\xa1a\x02\xa1b"))) // non-string keys
	f.Add(recordWithAttributes([]byte("\x81\xa1f\xca\x3f\xc0\x00\x00")))   // float 32
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
		for x, y := e, back; x != nil; x, y = x.Cause, y.Cause {
			// %#v prints maps sorted and NaN as NaN.
			if a, b := fmt.Sprintf("%#v", x.Attributes), fmt.Sprintf("%#v", y.Attributes); a != b {
				t.Fatalf("round trip changed the attributes of %q:\n%s\n%s", x.Name, a, b)
			}
		}
		again, err := Marshal(back)
		if err != nil || !bytes.Equal(again, encoded) {
			t.Fatalf("encoding is not canonical: %x then %x (%v)", encoded, again, err)
		}
	})
}
