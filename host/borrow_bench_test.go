package host_test

import (
	"testing"
	"time"

	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/conformance"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// eachBorrowMode runs bench on the C, Go and Rust guests, each opened twice: lending large
// arguments (the default, used when the guest's manifest declares borrow) and inline
// (WithBorrowThreshold(0), as before borrowed bytes), as sub-benchmarks "go/lent", "go/inline".
func eachBorrowMode(b *testing.B, bench func(*testing.B, *host.Library)) {
	for _, language := range []string{"c", "go", "rust"} {
		build := testlibs.ConformanceGuests()[language]
		if build == nil {
			continue
		}
		for _, mode := range []struct {
			name string
			opts []host.Option
		}{{"lent", nil}, {"inline", []host.Option{host.WithBorrowThreshold(0)}}} {
			b.Run(language+"/"+mode.name, func(b *testing.B) { bench(b, open(b, build(b), mode.opts...)) })
		}
	}
}

// BenchmarkBorrowEcho16MiB compares, in one run, echo_bytes of 16 MiB lent and inline on each
// guest, with a Go copy of 16 MiB as the baseline.
func BenchmarkBorrowEcho16MiB(b *testing.B) {
	b.Run("copy", BenchmarkCopy16MiB)
	eachBorrowMode(b, echoLarge)
}

// BenchmarkBorrowEchoVsCopy alternates, in every iteration, a Go copy of 16 MiB and echo_bytes of
// the same 16 MiB, so that both meet the same load on a busy machine, and reports the echo's
// throughput as a fraction of the copy's (x-copy: 0.5 means half the speed of a copy).
func BenchmarkBorrowEchoVsCopy(b *testing.B) {
	eachBorrowMode(b, func(b *testing.B, lib *host.Library) {
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
