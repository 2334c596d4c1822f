package guest

import "C"

import (
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/uncurry"
)

// The ABI's built-in symbols. They live in a file that imports "C" because cgo only exports
// functions from such files.

//export virgil_manifest
func virgil_manifest(in, out unsafe.Pointer) {
	serveBuiltin("virgil_manifest", manifestHandler, out)
}

//export virgil_stats
func virgil_stats(in, out unsafe.Pointer) {
	serveBuiltin("virgil_stats", statsHandler, out)
}

// serveBuiltin answers a built-in symbol, whose arguments are ignored.
func serveBuiltin(name string, h uncurry.Handler, out unsafe.Pointer) {
	if out != nil {
		outBox := bytebox.FromPointer(out)
		serve(name, h, nil, scratchOf(outBox), outBox)
	}
}
