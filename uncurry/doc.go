// Package uncurry adapts ordinary Go functions to the one shape every Virgil function has, bytes
// in and bytes out, and adapts that shape back into ordinary typed Go functions.
//
// Guest direction: [Adapt] (reflection, any number of parameters) and the generic fast paths
// [Func2], [Func2E], [Proc2], [Proc2E] and their siblings for zero to three parameters turn a
// function such as
//
//	func Add(a, b int) int
//	func Divide(a, b float64) (float64, error)
//
// into a [Function] whose [Handler] reads a MessagePack argument array and writes a reply envelope:
// {"ok": result}, or {"error": record} for a returned error, a panic (virgil.Panic) or arguments
// that do not fit (virgil.ArgumentError, with messages such as "add: argument 2: expected int,
// got str"). A Handler never panics.
//
// Host direction: [Bind] (reflection) and [Typed2] and its siblings turn a [Caller] into a typed
// Go function whose errors are *exceptions.Exception values. A Caller calls by value; [Over] and
// [Invoke] build one from a [ByteCaller], anything that can send argument bytes somewhere and
// lift the reply (package host's functions, or a Handler in the same process).
//
// The package composes codec and exceptions; it knows nothing about C or shared libraries.
package uncurry
