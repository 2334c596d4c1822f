// Command relay is a Go test guest that is itself a host: it passes Go closures of its own to
// another library. Loaded by a Go host, the process holds two copies of package host, and each
// must call back its own closures (see host's closure trampolines).
//
//go:generate go run github.com/virgilffi/virgil/cmd/virgil-gen
//virgil:library relay 1.0.0
package main

import (
	"errors"
	"sync"

	"github.com/virgilffi/virgil/host"
)

var peer struct {
	sync.RWMutex
	lib *host.Library
}

// UsePeer opens the library at path, which must export apply(f, x) -> f(x).
//
//virgil:export
func UsePeer(path string) error {
	lib, err := host.Open(path)
	if err != nil {
		return err
	}
	peer.Lock()
	defer peer.Unlock()
	peer.lib = lib
	return nil
}

// Relay returns the peer's apply(f, x) with f multiplying by ten, a closure of this library.
//
//virgil:export
func Relay(x int64) (int64, error) {
	peer.RLock()
	lib := peer.lib
	peer.RUnlock()
	if lib == nil {
		return 0, errors.New("no peer: call use_peer first")
	}
	var y int64
	err := lib.Call("apply", &y, func(v int64) int64 { return 10 * v }, x)
	return y, err
}

func main() {}
