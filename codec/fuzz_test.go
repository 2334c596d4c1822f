package codec_test

import (
	"bytes"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/internal/typedjson"
)

func seedVectors(f *testing.F) {
	vectors, err := typedjson.LoadVectors()
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range vectors {
		f.Add(v.Bytes())
	}
}

// FuzzDecode: any input either fails cleanly or decodes into a value that encodes and decodes to
// the same thing again.
func FuzzDecode(f *testing.F) {
	seedVectors(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		n, skipErr := codec.Skip(in)
		var v any
		d := codec.NewDecoder(in)
		err := d.Decode(&v)
		if (skipErr == nil) != (err == nil) && err == nil {
			t.Fatalf("Skip rejected (%v) what Decode accepted", skipErr)
		}
		if err != nil {
			return
		}
		if d.Offset() != n {
			t.Fatalf("Decode read %d bytes, Skip measured %d", d.Offset(), n)
		}
		var buf bytes.Buffer
		if err := codec.NewEncoder(&buf).Encode(v); err != nil {
			return // e.g. an ext type Go cannot re-encode
		}
		var again any
		if err := codec.NewDecoder(buf.Bytes()).Decode(&again); err != nil {
			t.Fatalf("re-decoding our own encoding %x: %v", buf.Bytes(), err)
		}
	})
}

// FuzzDecodeReply: any reply either lifts or fails with an error; it never panics.
func FuzzDecodeReply(f *testing.F) {
	seedVectors(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		var n int
		_ = codec.DecodeReply(in, &n)
		var v any
		_ = codec.DecodeReply(in, &v)
		var s struct {
			Count int       `msgpack:"count"`
			Xs    []float64 `msgpack:"xs"`
		}
		_ = codec.DecodeReply(in, &s)
	})
}
