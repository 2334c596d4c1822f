package host

import (
	"fmt"
	"math"
	"reflect"
	"sync"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// Closures (cabi/ABI.md section 15). A Go function passed as an argument is lowered as a closure
// whose five words are the same for every closure of the process except env:
//
//   - call, retain and release are three purego callbacks made once (purego's callback slots are
//     few and never freed, so there is no callback per closure);
//   - env is a handle into closureTable: a slot index and a generation, so a stale handle is
//     recognized rather than dereferenced;
//   - realloc is libc's realloc, found with dlsym, so this works without cgo: a reply the
//     callback cannot fit in the guest's scratch buffer is allocated there.
//
// A closure is valid while the call it was passed to is under way (a "lend"), and beyond it while
// the guest holds retains. When both are gone its slot is freed and its generation bumped; a call
// of the old handle then replies virgil.ReleasedClosure.

// closureSlot is one entry of the handle table.
type closureSlot struct {
	callback uncurry.Callback // the function
	name     string           // the function it was passed to, for its errors; "" when the slot is free
	used     bool             // false when the slot is free
	gen      uint32           // the generation handles to this slot must carry
	lends    int32            // calls under way that this closure was passed to
	retains  int32            // retains the guest holds
}

// closureTable maps env handles to the adapted functions.
type closureTable struct {
	mu    sync.Mutex
	slots []closureSlot
	free  []uint32
	live  int
}

var closures closureTable

// handle packs a slot index and its generation into an env word; it is never 0.
func handle(index, gen uint32) uintptr { return uintptr(gen)<<32 | uintptr(index+1) }

// slot returns the slot a handle names, or nil when the handle is stale or malformed. The caller
// holds t.mu.
func (t *closureTable) slot(env uintptr) *closureSlot {
	index, gen := uint32(env)-1, uint32(uint64(env)>>32)
	if uint64(env) == 0 || int(index) >= len(t.slots) {
		return nil
	}
	s := &t.slots[index]
	if !s.used || s.gen != gen {
		return nil
	}
	return s
}

// lend adds cb, passed to the function called name, to the table for the duration of one call
// and returns its handle.
func (t *closureTable) lend(cb uncurry.Callback, name string) uintptr {
	t.mu.Lock()
	defer t.mu.Unlock()
	var index uint32
	if n := len(t.free); n > 0 {
		index = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		t.slots = append(t.slots, closureSlot{})
		index = uint32(len(t.slots) - 1)
	}
	s := &t.slots[index]
	s.gen++ // never wraps: a slot is retired at math.MaxUint32 (see update)
	s.callback, s.name, s.used, s.lends, s.retains = cb, name, true, 1, 0
	t.live++
	return handle(index, s.gen)
}

// lookup returns the function of a valid handle and the name of the function it was passed to.
func (t *closureTable) lookup(env uintptr) (cb uncurry.Callback, name string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.slot(env); s != nil {
		return s.callback, s.name, true
	}
	return uncurry.Callback{}, "", false
}

// update applies change to a valid handle's counts and frees its slot when nothing holds it any
// more. Invalid handles are ignored (ABI.md section 15: retain and release of an invalid env do
// nothing).
func (t *closureTable) update(env uintptr, change func(s *closureSlot)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.slot(env)
	if s == nil {
		return
	}
	change(s)
	if s.lends <= 0 && s.retains <= 0 {
		*s = closureSlot{gen: s.gen}
		// A slot whose generation would wrap is retired rather than reused, so no stale handle
		// can ever match again (one slot per 2^32 lends of it).
		if s.gen != math.MaxUint32 {
			t.free = append(t.free, uint32(env)-1)
		}
		t.live--
	}
}

func (t *closureTable) endLend(env uintptr) { t.update(env, func(s *closureSlot) { s.lends-- }) }
func (t *closureTable) retain(env uintptr)  { t.update(env, func(s *closureSlot) { s.retains++ }) }
func (t *closureTable) release(env uintptr) {
	t.update(env, func(s *closureSlot) {
		if s.retains > 0 {
			s.retains--
		}
	})
}

// LiveClosures returns how many Go functions the guests can still call: those lent to calls under
// way and those the guests retain. With no call under way and every retain released it is 0; a
// number that keeps growing is a guest that retains closures and never releases them.
func LiveClosures() int {
	closures.mu.Lock()
	defer closures.mu.Unlock()
	return closures.live
}

// trampolines are the process's closure words other than env.
type trampolines struct {
	call, realloc, retain, release uintptr
	err                            error
}

// libcRealloc is libc's realloc, or 0 when it cannot be found.
var libcRealloc = sync.OnceValue(func() uintptr {
	realloc, err := purego.Dlsym(purego.RTLD_DEFAULT, "realloc")
	if err != nil {
		return 0
	}
	return realloc
})

var closureWords = sync.OnceValue(func() trampolines {
	realloc := libcRealloc()
	if realloc == 0 {
		return trampolines{err: fmt.Errorf("functions cannot be passed as closures: libc's realloc was not found")}
	}
	call, retain, release := callbackWords()
	return trampolines{call: call, realloc: realloc, retain: retain, release: release}
})

// libcAlloc is the bytebox.Allocator over libc's realloc, for replies that outgrow the guest's
// scratch buffer. realloc(NULL, 0) is not called: it would allocate.
func libcAlloc(p unsafe.Pointer, size uintptr) unsafe.Pointer {
	if p == nil && size == 0 {
		return nil
	}
	r, _, _ := purego.SyscallN(libcRealloc(), uintptr(p), size)
	return *(*unsafe.Pointer)(unsafe.Pointer(&r))
}

// closureCall is the trampoline for every closure's call: it finds env's function and runs it with
// a reply writer over the guest's out box (uncurry.WriteReply). It never panics.
func closureCall(env uintptr, in, out unsafe.Pointer) {
	if out == nil {
		return
	}
	outBox := bytebox.FromPointer(out)
	var args []byte
	if in != nil {
		args = bytebox.FromPointer(in).Bytes()
	}
	cb, name, ok := closures.lookup(env)
	if !ok {
		cb = uncurry.FailingCallback(exceptions.Newf(uncurry.ReleasedClosure, "a Go function was called through a closure that is no longer valid (the call it was passed to has returned and it was not retained, or it was released)"))
	}
	cb.WriteReply(args, *outBox, libcAlloc, outBox, "in the Virgil closure trampoline", name)
}

// isClosureArg reports whether an argument is lowered as a closure: a Go function, a Handler or
// an *uncurry.Function. Common argument types answer without reflection.
func isClosureArg(v any) bool {
	switch v.(type) {
	case nil, int, int64, float64, string, []byte, bool, uint64, int32, float32, time.Time, codec.Closure:
		return false
	case *uncurry.Function:
		return true
	}
	return reflect.TypeOf(v).Kind() == reflect.Func
}

// hasClosureArg reports whether any of args is a function to lend as a closure.
func hasClosureArg(args []any) bool {
	for _, v := range args {
		if isClosureArg(v) {
			return true
		}
	}
	return false
}

// callLendingClosures makes a call some of whose arguments are functions: it lowers args, lending
// each function as a closure (cabi/ABI.md section 15) until the call returns, and large byte
// strings as borrowed values where the library takes them (section 16).
func (f *Function) callLendingClosures(result any, args []any) error {
	var envs [4]uintptr // the lends of a call, without an allocation for the usual few
	st := f.lib.getState()
	b, lent, err := appendLending(st.args[:0], f.name, args, envs[:0], st.lends.lendsFor(f.lib))
	if err == nil {
		err = f.cross(st, b, nil, result)
	}
	endLends(lent)
	f.lib.putState(st, b)
	return err
}

// appendLending appends the argument array of a call of the function called name to b, lending
// every function argument as a closure and, through l, the values l lends (codec.AppendLending).
// It returns envs with the handles of the closures lent, to give to endLends once the call has
// returned (also when it fails: the closures lent before the failure are in it).
func appendLending(b []byte, name string, args []any, envs []uintptr, l codec.Lending) ([]byte, []uintptr, error) {
	b = codec.AppendArrayHeader(b, len(args))
	for i, v := range args {
		if !isClosureArg(v) {
			var err error
			if b, err = uncurry.AppendArg(b, name, i+1, v, l); err != nil {
				return b, envs, err
			}
			continue
		}
		words := closureWords()
		if words.err != nil {
			return b, envs, exceptions.Newf(exceptions.ArgumentError, "%s: argument %d: %v", name, i+1, words.err)
		}
		cb, err := uncurry.NewCallback(name, v)
		if err != nil {
			return b, envs, uncurry.LowerError(name, i+1, v, err)
		}
		env := closures.lend(cb, name)
		envs = append(envs, env)
		b = codec.AppendClosure(b, codec.Closure{Call: words.call, Env: env, Realloc: words.realloc, Retain: words.retain, Release: words.release})
	}
	return b, envs, nil
}

// endLends ends the lends of a call that has returned: closures the guest did not retain become
// invalid.
func endLends(envs []uintptr) {
	for _, env := range envs {
		closures.endLend(env)
	}
}
