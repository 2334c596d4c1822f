package bench

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ebitengine/purego"

	"github.com/virgilffi/virgil/host"
)

// scalingGoroutines are the goroutine counts of BenchmarkScaling.
var scalingGoroutines = []int{1, 2, 4}

// BenchmarkScaling calls add(1, 2) through a typed binding into the C and Rust guests from 1, 2
// and 4 goroutines at once, b.N calls in all, and reports calls per second of wall time (ns/op is
// wall time per call). The same through purego SyscallN on the plain C add is the reference: what
// the machine gives a crossing with no Virgil code in it.
func BenchmarkScaling(b *testing.B) {
	targets := []struct {
		name string
		add  func(b *testing.B) func() int
	}{
		{"syscalln", func(b *testing.B) func() int {
			_, sym := plainAdd(b)
			return func() int { sum, _, _ := purego.SyscallN(sym, 1, 2); return int(sum) }
		}},
		{"c", typedAdd("c")},
		{"rust", typedAdd("rust")},
	}
	for _, target := range targets {
		for _, n := range scalingGoroutines {
			b.Run(fmt.Sprintf("%s/g%d", target.name, n), func(b *testing.B) {
				add := target.add(b)
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
							if sum := add(); sum != 3 {
								b.Error("add(1, 2) gave", sum)
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

// typedAdd returns a maker of add(1, 2) through a typed binding into the guest of language; a
// failed call gives -1.
func typedAdd(language string) func(b *testing.B) func() int {
	return func(b *testing.B) func() int {
		add, err := host.Func2[int, int, int](open(b, language), "add")
		if err != nil {
			b.Fatal(err)
		}
		return func() int {
			sum, err := add(1, 2)
			if err != nil {
				return -1
			}
			return sum
		}
	}
}
