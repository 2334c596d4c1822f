// Command shapes is a virgil-gen fixture: every result shape, the generic and the reflection
// adapters, explicit symbols and snake_case names.
//
//virgil:library shapes 2.1.0
package main

import (
	"errors"
	"fmt"
	"strings"
)

// Add returns a + b.
//
//virgil:export
func Add(a, b int) int { return a + b }

// Touch does nothing and returns nothing.
//
//virgil:export
func Touch() {}

// Check fails when n is negative.
//
//virgil:export
func Check(n int) error {
	if n < 0 {
		return ValueError(fmt.Sprintf("negative: %d", n))
	}
	return nil
}

// Divide returns a / b; named results are fine.
//
//virgil:export
func Divide(a, b float64) (q float64, err error) {
	if b == 0 {
		return 0, errors.New("division by zero")
	}
	return a / b, nil
}

// Clamp limits x to [lo, hi].
//
//virgil:export
func Clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

// Store pretends to store value under key.
//
//virgil:export
func Store(key string, value []byte, overwrite bool) error {
	if key == "" {
		return ValueError("empty key")
	}
	return nil
}

// Volume has four parameters, so it is adapted by reflection.
//
//virgil:export
func Volume(w, h, d float64, unit string) string {
	return fmt.Sprintf("%g %s3", w*h*d, unit)
}

// Describe has five parameters and an error.
//
//virgil:export
func Describe(name string, age int, tags []string, score float64, active bool) (Profile, error) {
	if age < 0 {
		return Profile{}, ValueError("negative age")
	}
	return Profile{Name: name, Age: age, Tags: tags, Score: score, Active: active}, nil
}

// Join has a symbol of its own.
// Its doc comment has two lines.
//
//virgil:export join_words
func Join(sep string, words []string) string { return strings.Join(words, sep) }

// HTTPGet is snake_cased to http_get.
//
//virgil:export
func HTTPGet(url string) (int, error) { return len(url), nil }

// secretSum is unexported and exported under an explicit symbol.
//
//virgil:export secret_sum
func secretSum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// Pair has unnamed parameters.
//
//virgil:export
func Pair(int, string) string { return "pair" }

// Explode panics with a runtime error.
//
//virgil:export
func Explode() {
	var m map[string]int
	m["boom"]++
}

// Counter has a method, which is not exported.
type Counter struct{ n int }

// Count counts.
func (c *Counter) Count() int { c.n++; return c.n }

// Identity is generic and not exported.
func Identity[T any](x T) T { return x }

// ValueError is a wrong value.
type ValueError string

func (e ValueError) Error() string { return string(e) }

// ExceptionName names the error on the wire.
func (ValueError) ExceptionName() string { return "ValueError" }

func main() {}
