package host

import (
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
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

// callState is the memory one call needs: the two boxes, the scratch buffer lent to the guest,
// the buffer the arguments are appended to and the reply decoder. It lives in a per-library
// pool, on the Go heap, which does not move, so one pool round trip serves a whole call.
type callState struct {
	in, out bytebox.Box
	scratch []byte
	args    []byte
	dec     *codec.Decoder
	lends   lending // borrowed bytes (borrow.go)
}

func newCallState(scratchSize int) *callState {
	return &callState{scratch: make([]byte, scratchSize), dec: codec.NewDecoder(nil)}
}

func (l *Library) getState() *callState { return l.states.Get().(*callState) }

// putState gives a call state back to the pool; args is its argument buffer as the call left it.
func (l *Library) putState(st *callState, args []byte) {
	st.args = args[:0]
	if cap(args) > codec.MaxPooledArgs {
		st.args = nil
	}
	st.lends.end(st.dec)
	st.dec.Reset(nil)
	l.states.Put(st)
}

// Call calls the function with args and lifts its result into result (a pointer, or nil). It is
// an uncurry.Caller. A result that is not a non-nil pointer to a type values can be lifted into
// (codec.CheckResult) is a virgil.ResultError before anything crosses.
//
// A Go function among args (any func, an uncurry.Handler or an *uncurry.Function) is passed as a
// closure the guest can call back (cabi/ABI.md section 15). It is valid until Call returns unless
// the guest retains it; an error it returns, or a panic, goes back to the guest as an exception
// record with its Go frames. Functions nested inside other arguments are not lowered.
func (f *Function) Call(result any, args ...any) error {
	if err := f.checkResult(result); err != nil {
		return err
	}
	if hasClosureArg(args) {
		return f.callLendingClosures(result, args)
	}
	return f.callValues(result, args)
}

// callValues lowers args, none of them a function, and makes the call.
func (f *Function) callValues(result any, args []any) error {
	st := f.lib.getState()
	b, err := uncurry.AppendArgsLending(st.args[:0], f.name, args, st.lends.lendsFor(f.lib))
	if err == nil {
		err = f.cross(st, b, nil, result)
	}
	f.lib.putState(st, b)
	return err
}

// Invoke sends an encoded argument array and lifts the reply into result, checked as Call checks
// it. It is an uncurry.ByteCaller.
func (f *Function) Invoke(args []byte, result any) error {
	if err := f.checkResult(result); err != nil {
		return err
	}
	st := f.lib.getState()
	defer f.lib.putState(st, st.args)
	return f.cross(st, args, nil, result)
}

// Raw sends an encoded argument array and passes the reply envelope to lift. The reply is only
// valid during lift: it lives in the scratch buffer or in guest memory freed when lift returns.
func (f *Function) Raw(args []byte, lift func(reply []byte) error) error {
	st := f.lib.getState()
	defer f.lib.putState(st, st.args)
	return f.cross(st, args, lift, nil)
}

// cross makes the call (send) and lifts the reply, with lift or into result, then gives guest
// memory back to the guest, exactly once, also when lift panics.
func (f *Function) cross(st *callState, args []byte, lift func([]byte) error, result any) error {
	reply, owned, err := f.send(st, args)
	if err != nil {
		return err
	}
	if owned != nil {
		defer f.lib.free(owned)
	}
	if lift != nil {
		return lift(reply)
	}
	return liftReply(st.dec, f.name, reply, result)
}

// send crosses: it lends the scratch buffer (its first byte set to 0xc1, so an unwritten reply
// shows), calls the symbol with args and checks the reply box (checkReply: cabi/ABI.md section
// 2). It returns the reply's bytes and, when they are guest memory, their pointer, which the
// caller gives back with f.lib.free once it has read them; a reply that fails the checks is
// given back here (when it is the guest's) and only the error returned.
func (f *Function) send(st *callState, args []byte) (reply []byte, owned unsafe.Pointer, err error) {
	if f.lib.closed.Load() {
		return nil, nil, ErrClosed
	}
	var sp unsafe.Pointer
	if len(st.scratch) > 0 {
		sp = unsafe.Pointer(unsafe.SliceData(st.scratch))
		st.scratch[0] = unwritten
	}
	st.in = bytebox.Borrow(args)
	st.out = bytebox.Box{Ptr: sp, Len: uint64(len(st.scratch))}
	purego.SyscallN(f.sym, uintptr(unsafe.Pointer(&st.in)), uintptr(unsafe.Pointer(&st.out)))
	runtime.KeepAlive(args)
	// A borrowed value in the reply may view only in's bytes and the values lent (ABI 16).
	st.lends.replies(st.dec, args)

	out := st.out
	// The common reply, in the scratch buffer without filling it, passes every check of
	// checkReply; it is told here without a call.
	if out.Ptr != sp || out.Len == 0 || out.Len >= uint64(len(st.scratch)) || out.Len > f.lib.maxReply {
		free, err := checkReply(f.name, out, st.scratch, args, f.lib.maxReply)
		if free && st.lends.owns(out.Ptr) {
			// Check 4 covers the values lent to the call too: the caller's memory, never freed.
			free, err = false, exceptions.Newf(exceptions.ProtocolError, "%s: protocol error: the reply box points into a value lent to the call; it is not freed", f.name)
		}
		if err != nil {
			if free {
				f.lib.free(out.Ptr)
			}
			return nil, nil, err
		}
		if free {
			return out.Bytes(), out.Ptr, nil
		}
	}
	return out.Bytes(), nil, nil
}

// checkResult refuses a result target nothing can be lifted into, before the call.
func (f *Function) checkResult(result any) error {
	if err := codec.CheckResult(result); err != nil {
		return exceptions.Newf(exceptions.ResultError, "%s: %s", f.name, codec.Describe("result", err))
	}
	return nil
}
