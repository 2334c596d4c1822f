//go:build !cgo

package host

import "github.com/ebitengine/purego"

// callbackWords makes the call, retain and release words of every closure as purego callbacks,
// for programs built without cgo. purego reaches them through reflection on every call; built
// with cgo, closures_cgo.go makes them cgo exports instead.
func callbackWords() (call, retain, release uintptr) {
	return purego.NewCallback(closureCall),
		purego.NewCallback(func(env uintptr) { closures.retain(env) }),
		purego.NewCallback(func(env uintptr) { closures.release(env) })
}
