package codec_test

import (
	"bytes"
	"testing"

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
