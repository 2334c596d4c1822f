package main

import "C"

import (
	"unsafe"

	"github.com/virgilffi/virgil/guest"
	"github.com/virgilffi/virgil/uncurry"
)

// The conformance library's register (cabi/ABI.md section 15) is a C keyword, so cgo cannot
// export a Go function under that name, and virgil-gen refuses it. Register is exported here as
// register_, and register.c defines the symbol register as an alias of it.
var virgilExport_register = guest.Export(uncurry.Proc1("register", Register).WithParams("f").
	WithDoc("Register keeps f (retaining it) until Unregister; a callback registered before is released."))

//export register_
func register_(in, out unsafe.Pointer) { guest.Serve(virgilExport_register, in, out) }
