// Command words is a second, different Go test guest for the multi-runtime stress test.
//
//go:generate go run github.com/virgilffi/virgil/cmd/virgil-gen
//virgil:library words 1.0.0
package main

import (
	"runtime"
	"strings"
)

// CountWords counts the words of text.
//
//virgil:export
func CountWords(text string) map[string]int {
	counts := map[string]int{}
	for _, w := range strings.Fields(text) {
		counts[strings.ToLower(w)]++
	}
	return counts
}

// Collect forces a garbage collection in this guest's runtime.
//
//virgil:export
func Collect() { runtime.GC() }

func main() {}
