package main

import "time"

// Profile is a record result.
type Profile struct {
	Name   string   `msgpack:"name"`
	Age    int      `msgpack:"age"`
	Tags   []string `msgpack:"tags"`
	Score  float64  `msgpack:"score"`
	Active bool     `msgpack:"active"`
}

// Now returns the time; it lives in a second file.
//
//virgil:export
func Now() time.Time { return time.Unix(1700000000, 0) }

// Greet greets.
//
//virgil:export
func Greet(name string) (greeting string) { return "Hello, " + name + "!" }
