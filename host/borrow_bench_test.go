package host_test

import (
	"testing"
	"time"

	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/conformance"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// BenchmarkBorrowEcho16MiB compares, in one run, echo_bytes of 16 MiB lent (the default for a
// guest declaring borrow) and inline (WithBorrowThreshold(0), as before borrowed bytes), on each
// guest, with a Go copy of 16 MiB as the baseline.
func BenchmarkBorrowEcho16MiB(b *testing.B) {
	b.Run("copy", BenchmarkCopy16MiB)
	for _, language := range []string{"c", "go", "rust"} {
		build := testlibs.ConformanceGuests()[language]
		if build == nil {
			continue
		}
		for _, mode := range []struct {
			name string
			opts []host.Option
		}{{"lent", nil}, {"inline", []host.Option{host.WithBorrowThreshold(0)}}} {
			b.Run(language+"/"+mode.name, func(b *testing.B) {
				echoLarge(b, open(b, build(b), mode.opts...))
			})
		}
	}
}

// BenchmarkBorrowEchoVsCopy alternates, in every iteration, a Go copy of 16 MiB and echo_bytes of
// the same 16 MiB, so that both meet the same load on a busy machine, and reports the echo's
// throughput as a fraction of the copy's (x-copy: 0.5 means half the speed of a copy).
func BenchmarkBorrowEchoVsCopy(b *testing.B) {
	for _, language := range []string{"c", "go", "rust"} {
		build := testlibs.ConformanceGuests()[language]
		if build == nil {
			continue
		}
		for _, mode := range []struct {
			name string
			opts []host.Option
		}{{"lent", nil}, {"inline", []host.Option{host.WithBorrowThreshold(0)}}} {
			b.Run(language+"/"+mode.name, func(b *testing.B) {
				lib := open(b, build(b), mode.opts...)
				payload := conformance.LargePayload(largeSize)
				dst := make([]byte, largeSize)
				var got []byte
				var copying, echoing time.Duration
				b.SetBytes(largeSize)
				b.ResetTimer()
				for range b.N {
					start := time.Now()
					copy(dst, payload)
					mid := time.Now()
					if err := lib.Call("echo_bytes", &got, payload); err != nil {
						b.Fatal(err)
					}
					copying, echoing = copying+mid.Sub(start), echoing+time.Since(mid)
				}
				b.ReportMetric(float64(copying)/float64(echoing), "x-copy")
			})
		}
	}
}
