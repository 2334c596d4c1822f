package codec_test

import (
	"bytes"
	"strings"
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

// Inputs that once made msgpack/v5 panic: map keys Go cannot hash, decoded into interfaces.
var crashers = [][]byte{
	{0x81, 0xc4, 0x01, 0x00, 0x01},                    // {b"\x00": 1}
	{0x81, 0x91, 0x01, 0x01},                          // {[1]: 1}
	{0x81, 0x81, 0x01, 0x01, 0x01},                    // {{1: 1}: 1}
	{0x81, 0xa1, 'k', 0x81, 0xc4, 0x01, 0x00, 0x01},   // {"k": {b"\x00": 1}}
	{0x91, 0x81, 0xc4, 0x01, 0x00, 0x01},              // [{b"\x00": 1}]
	{0x81, 0x91, 0xc4, 0x00, 0x01},                    // {[b""]: 1}
	{0x81, 0x81, 0xa1, 'K', 0x90, 0x01},               // {{"K": []}: 1}
	{0x81, 0xa1, 'k', 0x81, 0x81, 0xa1, 'K', 0x90, 1}, // {"k": {{"K": []}: 1}}
}

// fuzzTargets are the types FuzzDecode lifts every input into, besides any.
func fuzzTargets() []any {
	return []any{
		new(map[any]any),
		new([]map[any]int),
		new(map[[1]any]int),
		new(map[struct{ K any }]int),
		new(struct {
			K map[any]int              `msgpack:"k"`
			S map[struct{ K any }]bool `msgpack:"s"`
		}),
	}
}

// FuzzDecode: any input either fails cleanly or decodes into a value that encodes and decodes to
// the same thing again. No input may reach a panic inside msgpack/v5, even one that Decode
// recovers.
func FuzzDecode(f *testing.F) {
	seedVectors(f)
	for _, in := range crashers {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, target := range fuzzTargets() {
			if err := codec.NewDecoder(in).Decode(target); err != nil && strings.Contains(err.Error(), "panicked") {
				t.Fatalf("decoding %x into %T: %v", in, target, err)
			}
		}
		n, skipErr := codec.Skip(in)
		var v any
		d := codec.NewDecoder(in)
		err := d.Decode(&v)
		if err != nil && strings.Contains(err.Error(), "panicked") {
			t.Fatalf("decoding %x into any: %v", in, err)
		}
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
