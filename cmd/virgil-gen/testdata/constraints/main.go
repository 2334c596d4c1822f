// Command constraints is a virgil-gen fixture: only the files of the current build are read.
//
//virgil:library constraints 1.0.0
package main

func main() {}

// Add returns a + b.
//
//virgil:export
func Add(a, b int) int { return a + b }
