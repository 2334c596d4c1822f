package host_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// Haskell results are lazy: an error hidden inside a result is only raised when the guest kit
// forces the result while lowering it. It must come back as an exception, never escape the guest
// and kill the host, also when many goroutines hit it at once.
func TestHaskellLazyErrors(t *testing.T) {
	lib := open(t, testlibs.HaskellGuest(t))
	before := liveAllocations(t, lib)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				var xs []int
				var x *exceptions.Exception
				if err := lib.Call("lazy_error", &xs); !errors.As(err, &x) || x.Name != "ErrorCall" || !strings.Contains(x.Message, "hidden in the result") || xs != nil {
					t.Errorf("lazy_error: %v, result %v", err, xs)
					return
				}
				if err := lib.Call("lazy_div", nil, 1, 0); !errors.As(err, &x) || x.Name != "ZeroDivisionError" {
					t.Errorf("lazy_div(1, 0): %v", err)
					return
				}
				var q int
				if err := lib.Call("lazy_div", &q, 7, 2); err != nil || q != 3 {
					t.Errorf("lazy_div(7, 2) = %d, %v", q, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if after := liveAllocations(t, lib); after != before {
		t.Fatalf("live guest buffers went from %d to %d", before, after)
	}
}
