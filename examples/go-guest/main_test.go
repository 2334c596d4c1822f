package main

import (
	"errors"
	"testing"

	"github.com/virgilffi/virgil/exceptions"
)

func TestFunctions(t *testing.T) {
	if sum, err := Add(1, 2); sum != 3 || err != nil {
		t.Fatal(sum, err)
	}
	if _, err := Add(1<<62, 1<<62); exceptions.From(err).Name != "OverflowError" {
		t.Fatalf("overflow: %v", err)
	}
	if q, err := Divide(7, 2); q != 3.5 || err != nil {
		t.Fatal(q, err)
	}
	if _, err := Divide(1, 0); exceptions.From(err).Name != "ZeroDivisionError" {
		t.Fatalf("divide by zero: %v", err)
	}
	if s, err := Stats([]float64{1, 2, 6}); err != nil || s != (Summary{Count: 3, Mean: 3, Min: 1, Max: 6}) {
		t.Fatal(s, err)
	}
	if _, err := Stats(nil); exceptions.From(err).Name != "ValueError" {
		t.Fatalf("empty stats: %v", err)
	}
	if err := SleepMs(-1); exceptions.From(err).Name != "ValueError" {
		t.Fatalf("sleep_ms(-1): %v", err)
	}
}

// Every level of FailChain's chain has its own name, message and stack.
func TestFailChain(t *testing.T) {
	x := exceptions.From(FailChain(4))
	for want := 4; want >= 1; want-- {
		if x == nil || x.Name != "ChainLevel"+string(rune('0'+want)) || x.Message != "level "+string(rune('0'+want)) || len(x.Traceback) == 0 {
			t.Fatalf("level %d: %+v", want, x)
		}
		x = x.Cause
	}
	if x != nil {
		t.Fatalf("a fifth level: %+v", x)
	}
	var chain *ChainError
	if !errors.As(FailChain(2), &chain) || chain.Level != 2 {
		t.Fatal("FailChain must return a *ChainError")
	}
}
