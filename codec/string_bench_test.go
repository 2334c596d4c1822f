package codec_test

import (
	"strings"
	"testing"

	"github.com/virgilffi/virgil/codec"
)

// BenchmarkDecodeString lifts a 64-byte str into a string: the fast path, with its UTF-8 check.
func BenchmarkDecodeString(b *testing.B) {
	in := codec.AppendString(nil, strings.Repeat("héllo, wörld ", 5)[:64])
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	d := codec.NewDecoder(nil)
	for b.Loop() {
		var s string
		d.Reset(in)
		if err := d.Decode(&s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStringAny lifts the same str into an any.
func BenchmarkDecodeStringAny(b *testing.B) {
	in := codec.AppendString(nil, strings.Repeat("héllo, wörld ", 5)[:64])
	b.SetBytes(int64(len(in)))
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

// BenchmarkDecodeStringASCII lifts a 64-byte ASCII str into a string, where the UTF-8 check
// takes its eight-bytes-at-a-time path.
func BenchmarkDecodeStringASCII(b *testing.B) {
	in := codec.AppendString(nil, strings.Repeat("hello, world ", 5)[:64])
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	d := codec.NewDecoder(nil)
	for b.Loop() {
		var s string
		d.Reset(in)
		if err := d.Decode(&s); err != nil {
			b.Fatal(err)
		}
	}
}
