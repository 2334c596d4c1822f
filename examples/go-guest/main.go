// Command go-guest is the Virgil conformance library written in Go (cabi/ABI.md section 9).
// Build it as a shared library that any Virgil host can load:
//
//	go generate ./examples/go-guest
//	go build -buildmode=c-shared -o build/libconformance_go.so ./examples/go-guest
//
//go:generate go run github.com/virgilffi/virgil/cmd/virgil-gen
//virgil:library conformance 1.0.0
package main

import (
	"fmt"
	"math"
	"time"

	"github.com/pkg/errors"
)

// Add returns a + b, failing with OverflowError when the sum does not fit 64 bits.
//
//virgil:export
func Add(a, b int64) (int64, error) {
	sum := a + b
	if (a > 0 && b > 0 && sum < 0) || (a < 0 && b < 0 && sum >= 0) {
		return 0, errors.WithStack(OverflowError{})
	}
	return sum, nil
}

// Greet returns a greeting for name.
//
//virgil:export
func Greet(name string) string { return "Hello, " + name + "!" }

// Divide returns a / b, failing with ZeroDivisionError when b is zero.
//
//virgil:export
func Divide(a, b float64) (float64, error) {
	if b == 0 {
		return 0, errors.WithStack(ZeroDivisionError{})
	}
	return a / b, nil
}

// Echo returns v unchanged.
//
//virgil:export
func Echo(v any) any { return v }

// EchoBytes returns b unchanged; used for large payloads.
//
//virgil:export
func EchoBytes(b []byte) []byte { return b }

// Summary is the result of Stats.
type Summary struct {
	Count int     `msgpack:"count"`
	Mean  float64 `msgpack:"mean"`
	Min   float64 `msgpack:"min"`
	Max   float64 `msgpack:"max"`
}

// Stats summarizes xs: count, mean, min and max. An empty list is a ValueError.
//
//virgil:export
func Stats(xs []float64) (Summary, error) {
	if len(xs) == 0 {
		return Summary{}, errors.WithStack(ValueError("stats of an empty list"))
	}
	s := Summary{Count: len(xs), Min: math.Inf(1), Max: math.Inf(-1)}
	var sum float64
	for _, x := range xs {
		sum += x
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
	}
	s.Mean = sum / float64(len(xs))
	return s, nil
}

// FailChain fails with an error whose cause chain is depth levels deep: ChainLevel{depth} caused
// by ChainLevel{depth-1} ... down to ChainLevel1, each with its own stack.
//
//virgil:export
func FailChain(depth int) error {
	if depth < 1 || depth > 100 {
		return errors.WithStack(ValueError(fmt.Sprintf("depth must be between 1 and 100, got %d", depth)))
	}
	return chainLevel(1, depth, nil)
}

// chainLevel builds level n (whose cause is below) and then the levels above it, so every level
// is created in a frame of its own.
func chainLevel(n, depth int, below error) error {
	err := errors.WithStack(&ChainError{Level: n, Cause: below})
	if n == depth {
		return err
	}
	return chainLevel(n+1, depth, err)
}

// Crash panics, to show that a Go panic comes back to the host as virgil.Panic.
//
//virgil:export
func Crash() {
	var m map[string]int
	m["boom"]++ // a real runtime panic: assignment to entry in nil map
}

// SleepMs sleeps for ms milliseconds (0 to 10000).
//
//virgil:export
func SleepMs(ms int) error {
	if ms < 0 || ms > 10000 {
		return errors.WithStack(ValueError(fmt.Sprintf("ms must be between 0 and 10000, got %d", ms)))
	}
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return nil
}

func main() {}
