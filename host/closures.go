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
	handler uncurry.Handler // nil when the slot is free
	gen     uint32          // the generation handles to this slot must carry
	lends   int32           // calls under way that this closure was passed to
	retains int32           // retains the guest holds
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
	if s.handler == nil || s.gen != gen {
		return nil
	}
	return s
}

// lend adds h to the table for the duration of one call and returns its handle.
func (t *closureTable) lend(h uncurry.Handler) uintptr {
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
	s.handler, s.lends, s.retains = h, 1, 0
	t.live++
	return handle(index, s.gen)
}

// lookup returns the function of a valid handle.
func (t *closureTable) lookup(env uintptr) (uncurry.Handler, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.slot(env); s != nil {
		return s.handler, true
	}
	return nil, false
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
		s.handler, s.lends, s.retains = nil, 0, 0
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
	return trampolines{
		call:    purego.NewCallback(closureCall),
		realloc: realloc,
		retain:  purego.NewCallback(func(env uintptr) { closures.retain(env) }),
		release: purego.NewCallback(func(env uintptr) { closures.release(env) }),
	}
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
	h, ok := closures.lookup(env)
	if !ok {
		h = uncurry.Fail(exceptions.Newf(uncurry.ReleasedClosure, "a Go function was called through a closure that is no longer valid (the call it was passed to has returned and it was not retained, or it was released)"))
	}
	uncurry.WriteReply(h, args, *outBox, libcAlloc, outBox, "in the Virgil closure trampoline", "")
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

// lendClosures returns args with every function argument replaced by a closure valid until
// endLends is called with the returned handles (nil when there are none; args is then returned
// as it is, not copied).
func lendClosures(name string, args []any) ([]any, []uintptr, error) {
	var envs []uintptr
	var lowered []any
	for i, v := range args {
		if !isClosureArg(v) {
			continue
		}
		words := closureWords()
		if words.err != nil {
			endLends(envs)
			return nil, nil, exceptions.Newf(exceptions.ArgumentError, "%s: argument %d: %v", name, i+1, words.err)
		}
		h, err := uncurry.HandlerOf("callback of "+name, v)
		if err != nil {
			endLends(envs)
			return nil, nil, exceptions.Newf(exceptions.ArgumentError, "%s: argument %d (%T) cannot be lowered: %v", name, i+1, v, err)
		}
		if lowered == nil {
			lowered = append([]any(nil), args...)
		}
		env := closures.lend(h)
		envs = append(envs, env)
		lowered[i] = codec.Closure{Call: words.call, Env: env, Realloc: words.realloc, Retain: words.retain, Release: words.release}
	}
	if lowered == nil {
		return args, nil, nil
	}
	return lowered, envs, nil
}

// endLends ends the lends of a call that has returned: closures the guest did not retain become
// invalid.
func endLends(envs []uintptr) {
	for _, env := range envs {
		closures.endLend(env)
	}
}
