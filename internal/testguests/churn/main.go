// Command churn is a Go test guest that allocates heavily, for the multi-runtime stress test: its
// garbage and forced collections exercise its own Go runtime while the host's runs too.
//
//go:generate go run github.com/virgilffi/virgil/cmd/virgil-gen
//virgil:library churn 1.0.0
package main

import "runtime"

// Churn allocates n small linked nodes, walks them and returns their sum (n*(n-1)/2).
//
//virgil:export
func Churn(n int) int {
	type node struct {
		value int
		next  *node
	}
	var head *node
	for i := range n {
		head = &node{value: i, next: head}
	}
	sum := 0
	for p := head; p != nil; p = p.next {
		sum += p.value
	}
	return sum
}

// Collect forces a garbage collection in this guest's runtime and returns the number of
// completed collections.
//
//virgil:export
func Collect() uint32 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}

func main() {}
