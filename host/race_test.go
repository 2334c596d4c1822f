//go:build race

package host_test

// raceEnabled scales the stress test down under the race detector, which slows every call.
const raceEnabled = true
