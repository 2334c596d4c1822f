package host_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// TestMultiRuntimeStress loads three Go guests, each a Go runtime of its own, into this Go
// process and calls them from 16 goroutines at once, forcing collections in the host and in the
// guests, for a million calls. Nothing may crash, every result must be right, and no guest may
// end with more live buffers than it started with.
func TestMultiRuntimeStress(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the million-call stress test in -short mode")
	}
	total := 1_000_000
	if raceEnabled {
		total = 50_000
	}
	conformance := open(t, testlibs.GoGuest(t))
	churn := open(t, testlibs.GoLibrary(t, "./internal/testguests/churn"))
	words := open(t, testlibs.GoLibrary(t, "./internal/testguests/words"))
	libs := []*host.Library{conformance, churn, words}
	before := make([]int64, len(libs))
	for i, lib := range libs {
		before[i] = liveAllocations(t, lib)
	}

	const goroutines = 16
	var calls, collections atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := stressWorker(g, total/goroutines, libs, &calls, &collections); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, lib := range libs {
		if after := liveAllocations(t, lib); after != before[i] {
			t.Errorf("%s: live guest buffers went from %d to %d", lib.Manifest().Library, before[i], after)
		}
	}
	t.Logf("%d calls from %d goroutines into 3 Go guests, %d forced collections in host and guests", calls.Load(), goroutines, collections.Load())
}

// stressWorker makes n calls, rotating over the three guests and over results, errors and
// panics, and forces a collection everywhere every 2,000 calls.
func stressWorker(g, n int, libs []*host.Library, calls, collections *atomic.Int64) error {
	conformance, churn, words := libs[0], libs[1], libs[2]
	add, err := host.Func2[int, int, int](conformance, "add")
	if err != nil {
		return err
	}
	for i := range n {
		var err error
		switch i % 8 {
		case 0, 1, 2:
			var sum int
			if sum, err = add(g, i); err == nil && sum != g+i {
				err = fmt.Errorf("add(%d, %d) = %d", g, i, sum)
			}
		case 3:
			var sum int
			if err = churn.Call("churn", &sum, 100); err == nil && sum != 4950 {
				err = fmt.Errorf("churn(100) = %d", sum)
			}
		case 4:
			var counts map[string]int
			if err = words.Call("count_words", &counts, "the cat saw The dog"); err == nil && counts["the"] != 2 {
				err = fmt.Errorf("count_words gave %v", counts)
			}
		case 5:
			var s string
			if err = conformance.Call("greet", &s, "stress"); err == nil && s != "Hello, stress!" {
				err = fmt.Errorf("greet gave %q", s)
			}
		case 6:
			if err = conformance.Call("fail_chain", nil, 3); err != nil {
				err = nil // the expected failure
			} else {
				err = fmt.Errorf("fail_chain(3) did not fail")
			}
		case 7:
			if err = conformance.Call("crash", nil); err != nil {
				err = nil
			} else {
				err = fmt.Errorf("crash() did not fail")
			}
		}
		if err != nil {
			return fmt.Errorf("goroutine %d, call %d: %w", g, i, err)
		}
		calls.Add(1)
		if i%2000 == 1999 {
			runtime.GC()
			if err := churn.Call("collect", nil); err != nil {
				return err
			}
			if err := words.Call("collect", nil); err != nil {
				return err
			}
			collections.Add(3)
		}
	}
	return nil
}
