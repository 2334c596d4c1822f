package uncurry_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// TestConcurrentCalls calls one Function's Handler and one Typed2 binding from 16 goroutines,
// 1000 calls each (run it with -race). Pooled encoders, decoders and argument buffers must never
// be shared between calls in flight.
func TestConcurrentCalls(t *testing.T) {
	const goroutines, calls = 16, 1000
	concat := uncurry.Func2E("concat", func(a string, n int) (string, error) {
		if n < 0 {
			return "", &namedError{name: "ValueError", msg: fmt.Sprintf("negative: %d", n)}
		}
		return fmt.Sprintf("%s%d", a, n), nil
	})
	typed := uncurry.Typed2[string, int, string](caller(concat))
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			var w replyBuffer
			for i := range calls {
				n := g*calls + i
				if i%10 == 9 {
					n = -n // every tenth call fails
				}
				prefix := fmt.Sprintf("g%d-", g)
				want := fmt.Sprintf("%s%d", prefix, n)

				w.Reset()
				concat.Handler(&w, encodeArgs(t, prefix, n))
				var got string
				err := codec.DecodeReply(w.Bytes(), &got)
				if err2 := check(n, got, want, err); err2 != nil {
					errs <- fmt.Errorf("handler: %w", err2)
					return
				}

				got, err = typed(prefix, n)
				if err2 := check(n, got, want, err); err2 != nil {
					errs <- fmt.Errorf("Typed2: %w", err2)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func check(n int, got, want string, err error) error {
	if n < 0 {
		var x *exceptions.Exception
		if !errors.As(err, &x) || x.Name != "ValueError" || err.Error() != fmt.Sprintf("negative: %d", n) {
			return fmt.Errorf("call %d: got %q, %v, want ValueError", n, got, err)
		}
		return nil
	}
	if err != nil || got != want {
		return fmt.Errorf("call %d: got %q, %v, want %q", n, got, err, want)
	}
	return nil
}
