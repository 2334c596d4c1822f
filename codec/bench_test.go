package codec_test

import (
	"bytes"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/virgilffi/virgil/codec"
)

// floatSlice encodes n floats as one array.
func floatSlice(tb testing.TB, n int) []byte {
	tb.Helper()
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i) + 0.5
	}
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf).Encode(xs); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkDecodeFloatSlice100k decodes an array of 100,000 floats into a []float64: Skip,
// Accepts and msgpack/v5 together.
func BenchmarkDecodeFloatSlice100k(b *testing.B) {
	in := floatSlice(b, 100_000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var xs []float64
	for b.Loop() {
		if err := codec.NewDecoder(in).Decode(&xs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAcceptsFloatSlice100k is the Accepts share of BenchmarkDecodeFloatSlice100k.
func BenchmarkAcceptsFloatSlice100k(b *testing.B) {
	in := floatSlice(b, 100_000)
	t := reflectTypeOf[[]float64]()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := codec.Accepts(in, t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLiftFloatReply1M lifts the reply {"ok": [a million floats]} into a *[]float64 with
// DecodeReplyOf, checks and lifting in one pass, side by side with msgpack/v5 decoding the same
// value bytes alone (msgpack.Unmarshal, which checks nothing of the ABI's). In "fresh" each
// iteration lifts into a nil slice, in "reused" into the slice of the previous one.
func BenchmarkLiftFloatReply1M(b *testing.B) {
	value := floatSlice(b, 1_000_000)
	reply := append([]byte{0x81, 0xa2, 'o', 'k'}, value...)
	d := codec.NewDecoder(nil)
	for _, reuse := range []bool{false, true} {
		mode := "fresh"
		if reuse {
			mode = "reused"
		}
		b.Run("virgil/"+mode, func(b *testing.B) {
			b.SetBytes(int64(len(reply)))
			b.ReportAllocs()
			var xs []float64
			for b.Loop() {
				if !reuse {
					xs = nil
				}
				if err := codec.DecodeReplyOf(d, "f", reply, &xs); err != nil {
					b.Fatal(err)
				}
			}
			if len(xs) != 1_000_000 || xs[1] != 1.5 {
				b.Fatal(len(xs))
			}
		})
		b.Run("msgpack/"+mode, func(b *testing.B) {
			b.SetBytes(int64(len(value)))
			b.ReportAllocs()
			var xs []float64
			for b.Loop() {
				if !reuse {
					xs = nil
				}
				if err := msgpack.Unmarshal(value, &xs); err != nil {
					b.Fatal(err)
				}
			}
			if len(xs) != 1_000_000 || xs[1] != 1.5 {
				b.Fatal(len(xs))
			}
		})
	}
}

// record is a realistic result: ten fields, one of them a list of a thousand floats.
type record struct {
	ID      int64     `msgpack:"id"`
	Name    string    `msgpack:"name"`
	Email   string    `msgpack:"email"`
	Age     int       `msgpack:"age"`
	Score   float64   `msgpack:"score"`
	Active  bool      `msgpack:"active"`
	Tags    []string  `msgpack:"tags"`
	Parent  *int64    `msgpack:"parent"`
	Ratio   float32   `msgpack:"ratio"`
	Samples []float64 `msgpack:"samples"`
}

// BenchmarkLiftRecordReply lifts {"ok": record} into a *record with DecodeReplyOf (the one
// pass, exact keys), side by side with msgpack/v5 decoding the value bytes alone.
func BenchmarkLiftRecordReply(b *testing.B) {
	parent := int64(7)
	in := record{ID: 1, Name: "Ada", Email: "ada@example.com", Age: 36, Score: 9.5, Active: true,
		Tags: []string{"a", "b", "c"}, Parent: &parent, Ratio: 0.5, Samples: make([]float64, 1000)}
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf).EncodeOK(in); err != nil {
		b.Fatal(err)
	}
	reply := buf.Bytes()
	value := reply[4:]
	d := codec.NewDecoder(nil)
	b.Run("virgil", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r record
			if err := codec.DecodeReplyOf(d, "f", reply, &r); err != nil || r.Age != 36 {
				b.Fatal(err)
			}
		}
	})
	b.Run("msgpack", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r record
			if err := msgpack.Unmarshal(value, &r); err != nil || r.Age != 36 {
				b.Fatal(err)
			}
		}
	})
}
