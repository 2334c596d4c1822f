package codec_test

import (
	"bytes"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/internal/typedjson"
)

// Every vector of cabi/testdata decodes to its value and encodes back to its canonical bytes.
func TestVectors(t *testing.T) {
	vectors, err := typedjson.LoadVectors()
	if err != nil {
		t.Fatal(err)
	}
	if len(vectors) < 50 {
		t.Fatalf("only %d vectors loaded", len(vectors))
	}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			want, err := typedjson.Parse(v.Value)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := codec.NewEncoder(&buf).Encode(want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), v.Canonical()) {
				t.Errorf("encode:\n got %x\nwant %x", buf.Bytes(), v.Canonical())
			}
			in := v.Bytes()
			if v.Kind != "value" {
				// Records drop the keys readers ignore only when read as records (package
				// exceptions tests that); as a generic value, compare the canonical form.
				in = v.Canonical()
			}
			d := codec.NewDecoder(in)
			var got any
			if err := d.Decode(&got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if err := d.End(); err != nil {
				t.Fatal(err)
			}
			if err := typedjson.Equal(want, got); err != nil {
				t.Error(err)
			}
			if n, err := codec.Skip(v.Bytes()); err != nil || n != len(v.Bytes()) {
				t.Errorf("Skip = %d, %v; want %d", n, err, len(v.Bytes()))
			}
		})
	}
}
