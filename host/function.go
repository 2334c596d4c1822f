package host

import (
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// Function is one function of a Library. It is safe for concurrent use.
type Function struct {
	lib  *Library
	name string
	sym  uintptr
	info *uncurry.Function // from the manifest, or nil
}

// Name returns the function's name.
func (f *Function) Name() string { return f.name }

// Info returns what the manifest says about the function, or nil.
func (f *Function) Info() *uncurry.Function { return f.info }

// Call calls the function with args and lifts its result into result (a pointer, or nil).
func (f *Function) Call(result any, args ...any) error {
	return uncurry.Invoke(f.Raw, f.name, result, args...)
}

// callState is the memory one call needs: the two boxes and the scratch buffer. It lives in a
// pool, on the Go heap, which does not move.
type callState struct {
	in, out bytebox.Box
	scratch []byte
}

func newCallState(scratchSize int) *callState {
	return &callState{scratch: make([]byte, scratchSize)}
}

// Raw sends an encoded argument array to the function and passes the reply envelope to lift. The
// reply is only valid during lift: it lives in the scratch buffer or in guest memory that is
// freed when lift returns. Raw is an uncurry.Caller.
func (f *Function) Raw(args []byte, lift func(reply []byte) error) error {
	if f.lib.closed.Load() {
		return ErrClosed
	}
	st := f.lib.states.Get().(*callState)
	defer f.lib.states.Put(st)
	var sp unsafe.Pointer
	if len(st.scratch) > 0 {
		sp = unsafe.Pointer(unsafe.SliceData(st.scratch))
	}
	st.in = bytebox.Borrow(args)
	st.out = bytebox.Box{Ptr: sp, Len: uint64(len(st.scratch))}
	purego.SyscallN(f.sym, uintptr(unsafe.Pointer(&st.in)), uintptr(unsafe.Pointer(&st.out)))
	runtime.KeepAlive(args)

	reply := st.out
	defer func() {
		if reply.OwnedBy(sp) {
			f.lib.free(reply.Ptr)
		}
	}()
	switch {
	case reply.Empty():
		return exceptions.Newf(exceptions.InternalError, "%s: the guest returned no reply (it could not allocate one)", f.name)
	case reply.Ptr == sp && reply.Len > uint64(len(st.scratch)):
		return exceptions.Newf(exceptions.InternalError, "%s: the guest claims a %d-byte reply in a %d-byte scratch buffer", f.name, reply.Len, len(st.scratch))
	}
	return lift(reply.Bytes())
}
