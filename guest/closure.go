package guest

/*
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

// Go cannot call a C function pointer: these call the words of a closure (cabi/ABI.md section 15).
static inline void virgil_guest_closure_call(uintptr_t call, uintptr_t env, void *in, void *out) {
	((void (*)(void *, const void *, void *))call)((void *)env, in, out);
}
static inline void virgil_guest_closure_ref(uintptr_t fn, uintptr_t env) {
	((void (*)(void *))fn)((void *)env);
}
static inline void virgil_guest_closure_free(uintptr_t realloc, void *p) {
	((void *(*)(void *, size_t))realloc)(p, 0);
}
*/
import "C"

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

func init() { uncurry.SetClosureRuntime(cRuntime{}) }

// closureScratch is the scratch buffer lent to each callback for its reply.
const closureScratch = 4096

// closureMem is the memory of one callback that C sees: the boxes and the scratch buffer. It is C
// memory (calloc), so nothing needs pinning for the call, and it is kept for reuse, never freed.
type closureMem struct {
	in, out bytebox.Box
	scratch [closureScratch]byte
}

// closureCall is the state of one callback: its C memory and a C buffer for the argument bytes
// (argsCap bytes, grown with realloc).
type closureCall struct {
	mem     *closureMem
	args    unsafe.Pointer
	argsCap int
}

// maxKeptArgs is the largest argument buffer a closureCall keeps between callbacks.
const maxKeptArgs = 1 << 20

// closureCalls are the states not in use. They are C memory, which a sync.Pool would leak when it
// dropped one, so they are kept in a list as long as the most callbacks under way at once.
var closureCalls struct {
	sync.Mutex
	free []*closureCall
}

// getClosureCall returns a state with room for n argument bytes, or nil when C memory ran out.
func getClosureCall(n int) *closureCall {
	closureCalls.Lock()
	var st *closureCall
	if k := len(closureCalls.free); k > 0 {
		st = closureCalls.free[k-1]
		closureCalls.free = closureCalls.free[:k-1]
	}
	closureCalls.Unlock()
	if st == nil {
		mem := C.calloc(1, C.size_t(unsafe.Sizeof(closureMem{})))
		if mem == nil {
			return nil
		}
		st = &closureCall{mem: (*closureMem)(mem)}
	}
	if n > st.argsCap {
		p := C.realloc(st.args, C.size_t(n))
		if p == nil {
			putClosureCall(st)
			return nil
		}
		st.args, st.argsCap = p, n
	}
	return st
}

func putClosureCall(st *closureCall) {
	if st.argsCap > maxKeptArgs {
		C.free(st.args)
		st.args, st.argsCap = nil, 0
	}
	closureCalls.Lock()
	closureCalls.free = append(closureCalls.free, st)
	closureCalls.Unlock()
}

// cRuntime calls closures through their C function pointers.
type cRuntime struct{}

// Call implements uncurry.ClosureRuntime. The arguments are copied into C memory, so the callee
// sees no Go memory at all.
func (cRuntime) Call(c codec.Closure, args []byte, lift func(reply []byte) error) error {
	st := getClosureCall(len(args))
	if st == nil {
		return exceptions.Newf(exceptions.OutOfMemory, "callback: no memory for the call's %d argument bytes", len(args))
	}
	defer putClosureCall(st)
	m := st.mem
	m.in = bytebox.Box{}
	if len(args) > 0 {
		copy(unsafe.Slice((*byte)(st.args), len(args)), args)
		m.in = bytebox.Box{Ptr: st.args, Len: uint64(len(args))}
	}
	scratch := unsafe.Pointer(&m.scratch[0])
	m.scratch[0] = bytebox.Unwritten // never valid MessagePack: an unwritten reply stays detectable
	m.out = bytebox.Box{Ptr: scratch, Len: closureScratch}
	C.virgil_guest_closure_call(C.uintptr_t(c.Call), C.uintptr_t(c.Env), unsafe.Pointer(&m.in), unsafe.Pointer(&m.out))
	reply, in := m.out, m.in
	m.in, m.out = bytebox.Box{}, bytebox.Box{}
	fault, free := checkReply(reply, in, scratch)
	if free {
		defer C.virgil_guest_closure_free(C.uintptr_t(c.Realloc), reply.Ptr)
	}
	if fault != nil {
		return fault
	}
	return lift(reply.Bytes())
}

// maxClosureReply is the largest reply a callback may give: 1 GiB, the default of the hosts'
// maximum reply size (cabi/ABI.md section 11).
const maxClosureReply = 1 << 30

// checkReply checks the reply box of a callback before a byte of it is read (bytebox.CheckReply,
// in the order of cabi/ABI.md section 2) and names its fault: in is the argument box and scratch
// the scratch buffer lent (closureScratch bytes, its first byte set to bytebox.Unwritten before
// the call). It returns the fault, if any, and whether the reply is the callee's memory to give
// back with its realloc: only a reply that passed the checks of its box (all but the unwritten
// reply) and is not the scratch buffer.
func checkReply(reply, in bytebox.Box, scratch unsafe.Pointer) (fault error, free bool) {
	kind, free := bytebox.CheckReply(reply, in, bytebox.Box{Ptr: scratch, Len: closureScratch}, maxClosureReply)
	switch kind {
	case bytebox.FaultNone:
		return nil, free
	case bytebox.FaultOutOfMemory:
		return exceptions.Newf(exceptions.OutOfMemory, "callback: the closure could not allocate its reply"), free
	case bytebox.FaultNullWithLength:
		return exceptions.Newf(exceptions.ProtocolError, "callback: the reply box is {NULL, %d}", reply.Len), free
	case bytebox.FaultNoLength:
		return exceptions.Newf(exceptions.ProtocolError, "callback: the reply box has a pointer and no length"), free
	case bytebox.FaultBeyondScratch:
		return exceptions.Newf(exceptions.ProtocolError, "callback: the closure claims a %d-byte reply in a %d-byte scratch buffer", reply.Len, closureScratch), free
	case bytebox.FaultIntoArguments, bytebox.FaultIntoScratch:
		return exceptions.Newf(exceptions.ProtocolError, "callback: the reply points into the caller's own memory"), free
	case bytebox.FaultTooLong:
		return exceptions.Newf(exceptions.LimitExceeded, "callback: a reply of %d bytes, more than %d", reply.Len, maxClosureReply), free
	case bytebox.FaultUnwritten:
		return exceptions.Newf(exceptions.ProtocolError, "callback: the closure wrote no reply"), free
	}
	return exceptions.Newf(exceptions.ProtocolError, "callback: the reply box fails check %d", kind), free
}

// Retain implements uncurry.ClosureRuntime.
func (cRuntime) Retain(c codec.Closure) {
	if c.Retain != 0 {
		C.virgil_guest_closure_ref(C.uintptr_t(c.Retain), C.uintptr_t(c.Env))
	}
}

// Release implements uncurry.ClosureRuntime.
func (cRuntime) Release(c codec.Closure) {
	if c.Release != 0 {
		C.virgil_guest_closure_ref(C.uintptr_t(c.Release), C.uintptr_t(c.Env))
	}
}

// Func is a parameter of function type F (such as func(int) (int, error)) that the function
// receiving it may keep beyond the call: call Retain before returning, keep the Func, call its
// Fn as long as needed and Release it once when done.
//
//	var saved guest.Func[func(int) (int, error)]
//
//	func Register(f guest.Func[func(int) (int, error)]) {
//		f.Retain()
//		saved = f
//	}
//
//	func Fire(x int) (int, error) { return saved.Fn(x) }
//
//	func Unregister() { saved.Release() }
//
// A plain parameter of function type (f func(int) (int, error)) is the same closure without the
// choice: it is valid only during the call it was passed to; called later, it fails with
// virgil.ReleasedClosure. In a manifest a Func[F] is named like F: fn(int) -> int.
type Func[F any] struct {
	// Fn calls the closure. It is nil in a zero Func.
	Fn F
	c  *heldClosure
}

// heldClosure is the closure behind a Func and how many retains this side holds on it.
type heldClosure struct {
	closure codec.Closure
	retains atomic.Int64
}

// Retain keeps the closure valid after the call it was passed to; it must be called before that
// call returns. Each Retain needs one Release.
func (f Func[F]) Retain() {
	if f.c == nil {
		return
	}
	f.c.retains.Add(1)
	if rt := uncurry.CurrentClosureRuntime(); rt != nil {
		rt.Retain(f.c.closure)
	}
}

// Release gives up one Retain. Releasing more often than retaining does nothing.
func (f Func[F]) Release() {
	if f.c == nil {
		return
	}
	for {
		n := f.c.retains.Load()
		if n <= 0 {
			return
		}
		if f.c.retains.CompareAndSwap(n, n-1) {
			break
		}
	}
	if rt := uncurry.CurrentClosureRuntime(); rt != nil {
		rt.Release(f.c.closure)
	}
}

// Valid reports whether f holds a closure (it was lifted from an argument).
func (f Func[F]) Valid() bool { return f.c != nil }

// VirgilTypeName names F in the manifest (codec.TypeNamer).
func (Func[F]) VirgilTypeName() string { return codec.TypeName(reflect.TypeFor[F]()) }

// DecodeMsgpack lifts a closure into f.
func (f *Func[F]) DecodeMsgpack(dec *msgpack.Decoder) error {
	var c codec.Closure
	if err := c.DecodeMsgpack(dec); err != nil {
		return err
	}
	fn, err := uncurry.LiftFunc(reflect.TypeFor[F](), c)
	if err != nil {
		return err
	}
	f.Fn = fn.Interface().(F)
	f.c = &heldClosure{closure: c}
	return nil
}

// EncodeMsgpack writes the closure back, so a guest can pass a closure it received on.
func (f Func[F]) EncodeMsgpack(enc *msgpack.Encoder) error {
	if f.c == nil {
		return enc.EncodeNil()
	}
	return f.c.closure.EncodeMsgpack(enc)
}
