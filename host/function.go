package host

import (
	"bytes"
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
// and the argument buffer with its encoder and the reply decoder. It lives in a per-library pool,
// on the Go heap, which does not move, so one pool round trip serves a whole call.
type callState struct {
	in, out bytebox.Box
	scratch []byte
	args    bytes.Buffer
	enc     *codec.Encoder
	dec     *codec.Decoder
}

func newCallState(scratchSize int) *callState {
	st := &callState{scratch: make([]byte, scratchSize), dec: codec.NewDecoder(nil)}
	st.enc = codec.NewEncoder(&st.args)
	return st
}

func (l *Library) getState() *callState { return l.states.Get().(*callState) }

func (l *Library) putState(st *callState) {
	if st.args.Cap() > codec.MaxPooledArgs {
		st.args = bytes.Buffer{}
	}
	st.args.Reset()
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
	defer f.lib.putState(st)
	if err := uncurry.LowerArgs(st.enc, f.name, args); err != nil {
		return err
	}
	return f.cross(st, st.args.Bytes(), nil, result)
}

// Invoke sends an encoded argument array and lifts the reply into result, checked as Call checks
// it. It is an uncurry.ByteCaller.
func (f *Function) Invoke(args []byte, result any) error {
	if err := f.checkResult(result); err != nil {
		return err
	}
	st := f.lib.getState()
	defer f.lib.putState(st)
	return f.cross(st, args, nil, result)
}

// Raw sends an encoded argument array and passes the reply envelope to lift. The reply is only
// valid during lift: it lives in the scratch buffer or in guest memory freed when lift returns.
func (f *Function) Raw(args []byte, lift func(reply []byte) error) error {
	st := f.lib.getState()
	defer f.lib.putState(st)
	return f.cross(st, args, lift, nil)
}

// cross makes the call: it lends the scratch buffer (its first byte set to 0xc1, so an unwritten
// reply shows), calls the symbol, checks the reply box (checkReply: cabi/ABI.md section 2), lifts
// the reply (with lift, or into result) and gives guest memory back to the guest, exactly once and
// only when checkReply says it is the guest's.
func (f *Function) cross(st *callState, args []byte, lift func([]byte) error, result any) error {
	if f.lib.closed.Load() {
		return ErrClosed
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

	reply := st.out
	// The common reply, in the scratch buffer without filling it, passes every check of
	// checkReply; it is told here without a call.
	if reply.Ptr != sp || reply.Len == 0 || reply.Len >= uint64(len(st.scratch)) || reply.Len > f.lib.maxReply {
		free, err := checkReply(f.name, reply, st.scratch, args, f.lib.maxReply)
		if free {
			defer f.lib.free(reply.Ptr)
		}
		if err != nil {
			return err
		}
	}
	if lift != nil {
		return lift(reply.Bytes())
	}
	return liftReply(st.dec, f.name, reply.Bytes(), result)
}

// checkResult refuses a result target nothing can be lifted into, before the call.
func (f *Function) checkResult(result any) error {
	if err := codec.CheckResult(result); err != nil {
		return exceptions.Newf(exceptions.ResultError, "%s: %s", f.name, codec.Describe("result", err))
	}
	return nil
}
