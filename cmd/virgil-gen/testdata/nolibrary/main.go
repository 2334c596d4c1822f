// Command nolibrary has no //virgil:library directive: the library is named after its directory.
package main

// Ping answers.
//
//virgil:export
func Ping() string { return "pong" }

func main() {}
