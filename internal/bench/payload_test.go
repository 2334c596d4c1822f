package bench

import (
	"bytes"
	"testing"

	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/conformance"
)

// payloadSizes are the sizes of the payload sweep, by the names the benchmarks carry.
var payloadSizes = []struct {
	name string
	size int
}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}, {"16MiB", 16 << 20}}

// BenchmarkEchoBytes sends a byte string of each size to the guest's echo_bytes and lifts the
// reply into a []byte: MB/s counts the payload once (as BenchmarkCopy does), not both ways.
func BenchmarkEchoBytes(b *testing.B) {
	for _, s := range payloadSizes {
		b.Run(s.name, func(b *testing.B) {
			eachGuest(b, func(b *testing.B, lib *host.Library) {
				payload := conformance.LargePayload(s.size)
				var got []byte
				b.SetBytes(int64(s.size))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := lib.Call("echo_bytes", &got, payload); err != nil {
						b.Fatal(err)
					}
				}
				if !bytes.Equal(got, payload) {
					b.Fatal("payload changed")
				}
			})
		})
	}
}

// BenchmarkCopy is a Go copy of each payload size: the baseline of BenchmarkEchoBytes.
func BenchmarkCopy(b *testing.B) {
	for _, s := range payloadSizes {
		b.Run(s.name, func(b *testing.B) {
			src := conformance.LargePayload(s.size)
			dst := make([]byte, s.size)
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				copy(dst, src)
			}
			if !bytes.Equal(dst, src) {
				b.Fatal("copy differs")
			}
		})
	}
}
