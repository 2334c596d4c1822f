package bench

import (
	"fmt"
	"sync"
	"testing"

	"github.com/virgilffi/virgil/host"
)

// scalingGuests and scalingGoroutines are the axes of BenchmarkScaling.
var (
	scalingGuests     = []string{"c", "rust"}
	scalingGoroutines = []int{1, 2, 4}
)

// BenchmarkScaling calls add(1, 2) through a typed binding from 1, 2 and 4 goroutines at once,
// b.N calls in all, and reports calls per second of wall time (ns/op is wall time per call).
func BenchmarkScaling(b *testing.B) {
	for _, language := range scalingGuests {
		for _, n := range scalingGoroutines {
			b.Run(fmt.Sprintf("%s/g%d", language, n), func(b *testing.B) {
				add, err := host.Func2[int, int, int](open(b, language), "add")
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				var wg sync.WaitGroup
				for g := range n {
					calls := b.N / n
					if g == 0 {
						calls += b.N % n
					}
					wg.Go(func() {
						for range calls {
							if sum, err := add(1, 2); err != nil || sum != 3 {
								b.Error(sum, err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			})
		}
	}
}
