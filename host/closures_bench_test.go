package host_test

import (
	"testing"
	"time"

	"github.com/virgilffi/virgil/host"
)

// The closure benchmarks: apply(f, 41) -> f(41) with a Go function f, the conformance function
// that passes a closure and has the guest call it back once. Run them with BenchmarkCallAdd
// (-bench 'CallAdd|Apply') to read the cost of a callback against a plain call in the same run.

// benchApply passes a Go closure with lib.Call: the closure is lent for the call, the guest
// lifts it and calls it back once.
func benchApply(b *testing.B, language string) {
	lib := openGuest(b, language)
	if !hasFunction(lib, "apply") {
		b.Skip("no apply")
	}
	inc := func(x int) int { return x + 1 }
	var r int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := lib.Call("apply", &r, inc, 41); err != nil {
			b.Fatal(err)
		}
	}
	if r != 42 {
		b.Fatal(r)
	}
	if n := host.LiveClosures(); n != 0 {
		b.Fatalf("%d closures live after the calls", n)
	}
}

// benchTypedApply is benchApply through a typed binding.
func benchTypedApply(b *testing.B, language string) {
	lib := openGuest(b, language)
	if !hasFunction(lib, "apply") {
		b.Skip("no apply")
	}
	apply, err := host.Func2[func(int64) int64, int64, int64](lib, "apply")
	if err != nil {
		b.Fatal(err)
	}
	inc := func(x int64) int64 { return x + 1 }
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if r, err := apply(inc, 41); err != nil || r != 42 {
			b.Fatal(r, err)
		}
	}
}

func BenchmarkApply(b *testing.B)      { eachGuest(b, benchApply) }
func BenchmarkTypedApply(b *testing.B) { eachGuest(b, benchTypedApply) }

// benchApplyVsAdd alternates blocks of apply(f, 41) and add(1, 2) calls, both with lib.Call,
// and reports each one's time per call and their ratio (apply-x-add): on a busy machine the
// two share the same noise, so the ratio holds where separate runs would not. ns/op counts one
// call of each.
func benchApplyVsAdd(b *testing.B, language string) {
	lib := openGuest(b, language)
	if !hasFunction(lib, "apply") {
		b.Skip("no apply")
	}
	inc := func(x int) int { return x + 1 }
	const block = 16
	var r int
	var applyTime, addTime time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += block {
		n := min(block, b.N-done)
		start := time.Now()
		for range n {
			if err := lib.Call("apply", &r, inc, 41); err != nil || r != 42 {
				b.Fatal(r, err)
			}
		}
		mid := time.Now()
		for range n {
			if err := lib.Call("add", &r, 1, 2); err != nil || r != 3 {
				b.Fatal(r, err)
			}
		}
		applyTime += mid.Sub(start)
		addTime += time.Since(mid)
	}
	b.ReportMetric(float64(applyTime.Nanoseconds())/float64(b.N), "ns/apply")
	b.ReportMetric(float64(addTime.Nanoseconds())/float64(b.N), "ns/add")
	b.ReportMetric(float64(applyTime)/float64(addTime), "apply-x-add")
}

func BenchmarkApplyVsAdd(b *testing.B) { eachGuest(b, benchApplyVsAdd) }
