package codec_test

import (
	"reflect"
	"testing"

	"github.com/virgilffi/virgil/codec"
)

// benchSummary is the struct of the struct-lift benchmarks: the shape of a typical result.
type benchSummary struct {
	Count int     `msgpack:"count"`
	Mean  float64 `msgpack:"mean"`
	Min   float64 `msgpack:"min"`
	Max   float64 `msgpack:"max"`
	Name  string  `msgpack:"name"`
}

func benchSummaryBytes(tb testing.TB) []byte {
	return encode(tb, benchSummary{Count: 3, Mean: 2, Min: 1, Max: 3, Name: "xs"})
}

// BenchmarkDecodeStruct lifts a five-field struct whose keys match exactly: the struct-lift fast
// path (Skip, Accepts and the decode together).
func BenchmarkDecodeStruct(b *testing.B) {
	in := benchSummaryBytes(b)
	b.ReportAllocs()
	d := codec.NewDecoder(nil)
	for b.Loop() {
		var s benchSummary
		d.Reset(in)
		if err := d.Decode(&s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAcceptsStruct is the Accepts share of BenchmarkDecodeStruct.
func BenchmarkAcceptsStruct(b *testing.B) {
	in := benchSummaryBytes(b)
	t := reflect.TypeFor[benchSummary]()
	b.ReportAllocs()
	for b.Loop() {
		if err := codec.Accepts(in, t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStructSlice lifts 1,000 such structs.
func BenchmarkDecodeStructSlice(b *testing.B) {
	xs := make([]benchSummary, 1000)
	for i := range xs {
		xs[i] = benchSummary{Count: i, Mean: 2, Min: 1, Max: 3, Name: "xs"}
	}
	in := encode(b, xs)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	d := codec.NewDecoder(nil)
	for b.Loop() {
		var out []benchSummary
		d.Reset(in)
		if err := d.Decode(&out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeAnyMap lifts a small map[string]any, as an untyped result is.
func BenchmarkDecodeAnyMap(b *testing.B) {
	in := encode(b, map[string]any{"count": 3, "mean": 2.5, "name": "xs", "tags": []any{"a", 1}})
	b.ReportAllocs()
	d := codec.NewDecoder(nil)
	for b.Loop() {
		var v any
		d.Reset(in)
		if err := d.Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}
