package codec_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/internal/edges"
	"github.com/virgilffi/virgil/internal/typedjson"
)

// seedVectors seeds f with every vector of cabi/testdata/vectors.json and every case of
// cabi/testdata/edges.json.
func seedVectors(f *testing.F) {
	vectors, err := typedjson.LoadVectors()
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range vectors {
		f.Add(v.Bytes())
	}
	cases, err := edges.Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		f.Add(c.Bytes())
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
// recovers. The edges of cabi/ABI.md section 5 hold for every input: what any accepts has only
// valid UTF-8 in its strings and no duplicate or container map keys (else it was refused), its
// encoding is canonical (encoding it again gives the same bytes, and so does re-encoding the
// value those bytes decode to), and a refusal is a limit only for nesting deeper than MaxDepth.
func FuzzDecode(f *testing.F) {
	seedVectors(f)
	for _, in := range crashers {
		f.Add(in)
	}
	seedBorrowed(f)
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
			if errors.Is(err, codec.ErrLimit) && !strings.Contains(err.Error(), "nesting deeper than") {
				t.Fatalf("a limit that is not the nesting: %v", err)
			}
			return
		}
		if d.Offset() != n {
			t.Fatalf("Decode read %d bytes, Skip measured %d", d.Offset(), n)
		}
		var buf bytes.Buffer
		if err := codec.NewEncoder(&buf).Encode(v); err != nil {
			t.Fatalf("encoding %#v, decoded from %x: %v", v, in, err)
		}
		var again any
		if err := codec.NewDecoder(buf.Bytes()).Decode(&again); err != nil {
			t.Fatalf("re-decoding our own encoding %x: %v", buf.Bytes(), err)
		}
		var twice bytes.Buffer
		if err := codec.NewEncoder(&twice).Encode(again); err != nil || !bytes.Equal(twice.Bytes(), buf.Bytes()) {
			t.Fatalf("not canonical: %x re-encodes as %x (%v)", buf.Bytes(), twice.Bytes(), err)
		}
		if in := in[:n]; isCanonicalShape(in) && !bytes.Equal(buf.Bytes(), in) {
			t.Fatalf("canonical input %x re-encoded as %x", in, buf.Bytes())
		}
	})
}

// isCanonicalShape reports whether b, a value any accepted, is written in the canonical form
// of cabi/ABI.md section 5, so that it must come back unchanged: a fixstr, a str8 of 32 bytes or
// more, a bin8, a timestamp 32, a fixext of another type, or an ext 8 of another type whose length
// has no fixext. (Containers are left out: maps come back in key order.)
func isCanonicalShape(b []byte) bool {
	switch c := b[0]; {
	case c >= 0xa0 && c <= 0xbf, c == 0xc4:
		return true
	case c == 0xd9:
		return b[1] >= 32
	case c == 0xd6:
		return true
	case c >= 0xd4 && c <= 0xd8:
		return b[1] != 0xff
	case c == 0xc7:
		switch b[1] {
		case 1, 2, 4, 8, 16:
			return false
		}
		return b[2] != 0xff
	}
	return false
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
