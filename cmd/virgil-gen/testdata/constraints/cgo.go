package main

import "C"

// Negate lives in a cgo file, which is part of the build.
//
//virgil:export
func Negate(x int) int { return -x }
