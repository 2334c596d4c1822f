//go:build ignore

package main

// Ignored is in a file go build never compiles; exporting it would make the generated file
// refer to a function that does not exist.
//
//virgil:export
func Ignored() int { return notDefinedAnywhere }
