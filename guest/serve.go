package guest

import (
	"sync"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

var writers = sync.Pool{New: func() any { return bytebox.NewWriter(bytebox.Box{}, cAlloc) }}

// Serve handles one call of f from C: in and out are the call's const virgil_box* and
// virgil_box*. Generated //export wrappers call it; it never panics and always leaves a reply in
// out (or {NULL, 0} when no memory could be had for one).
func Serve(f *uncurry.Function, in, out unsafe.Pointer) {
	if out == nil {
		return // nowhere to reply; a conforming host never does this
	}
	outBox := bytebox.FromPointer(out)
	var args []byte
	if in != nil {
		args = bytebox.FromPointer(in).Bytes()
	}
	serve(f.Name, f.Handler, args, outBox)
}

// serve runs handler with a reply writer over outBox.
func serve(name string, handler uncurry.Handler, args []byte, outBox *bytebox.Box) {
	w := writers.Get().(*bytebox.Writer)
	w.Reset(*outBox, cAlloc)
	defer func() {
		if v := recover(); v != nil { // a bug in the glue itself: handlers recover their own
			w.Reset(*outBox, cAlloc)
			x := exceptions.FromPanic(v)
			x.Name, x.Notes = exceptions.InternalError, append(x.Notes, "in the Virgil guest glue of "+name)
			codec.NewEncoder(w).EncodeError(x)
		}
		w.Finish(outBox)
		writers.Put(w)
	}()
	handler(w, args)
}
