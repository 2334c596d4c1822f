package host

import (
	"errors"
	"math"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// callClosure calls a closure's words as a guest would, through C function pointers, and lifts
// the reply into result.
func callClosure(t *testing.T, c codec.Closure, result any, args ...any) error {
	t.Helper()
	var in bytes16
	enc := codec.NewEncoder(&in)
	if err := enc.EncodeArgs(args...); err != nil {
		t.Fatal(err)
	}
	inBox := bytebox.Borrow(in.b)
	var outBox bytebox.Box // no scratch: the reply is allocated with the closure's realloc
	purego.SyscallN(c.Call, c.Env, uintptr(unsafe.Pointer(&inBox)), uintptr(unsafe.Pointer(&outBox)))
	if outBox.Ptr == nil {
		t.Fatal("no reply")
	}
	defer purego.SyscallN(c.Realloc, uintptr(outBox.Ptr), 0)
	return codec.DecodeReply(outBox.Bytes(), result)
}

type bytes16 struct{ b []byte }

func (w *bytes16) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *bytes16) WriteByte(c byte) error      { w.b = append(w.b, c); return nil }

// lowered lends fn as a closure, as a call of a function called test does, and returns it.
func lowered(t *testing.T, fn any) (codec.Closure, []uintptr) {
	t.Helper()
	args, envs, err := appendLending(nil, "test", []any{fn}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := codec.NewDecoder(args)
	var c codec.Closure
	if n, err := d.ArrayHeader(); err != nil || n != 1 {
		t.Fatalf("%x: %d, %v", args, n, err)
	}
	if err := d.Decode(&c); err != nil || len(envs) != 1 || c.Env != envs[0] {
		t.Fatalf("%x: %v, lent %v", args, err, envs)
	}
	return c, envs
}

func wantReleased(t *testing.T, err error) {
	t.Helper()
	var x *exceptions.Exception
	if !errors.As(err, &x) || x.Name != uncurry.ReleasedClosure {
		t.Fatalf("want virgil.ReleasedClosure, got %v", err)
	}
}

// A closure is valid during its call, stays valid while retained, and afterwards replies
// virgil.ReleasedClosure; retain and release of a stale handle do nothing, and a reused slot does
// not revive an old handle.
func TestClosureLifetime(t *testing.T) {
	base := LiveClosures()
	c, envs := lowered(t, func(x int) int { return x * 3 })
	var r int
	if err := callClosure(t, c, &r, 5); err != nil || r != 15 {
		t.Fatalf("during the call: %d, %v", r, err)
	}
	purego.SyscallN(c.Retain, c.Env)
	purego.SyscallN(c.Retain, c.Env)
	endLends(envs)
	if err := callClosure(t, c, &r, 6); err != nil || r != 18 {
		t.Fatalf("retained: %d, %v", r, err)
	}
	purego.SyscallN(c.Release, c.Env)
	if err := callClosure(t, c, &r, 7); err != nil || r != 21 {
		t.Fatalf("retained once more: %d, %v", r, err)
	}
	purego.SyscallN(c.Release, c.Env)
	if n := LiveClosures(); n != base {
		t.Fatalf("%d live closures after the last release, want %d", n, base)
	}
	wantReleased(t, callClosure(t, c, &r, 8))
	// Stale retains and releases do nothing; a new closure in the same slot is not the old one.
	purego.SyscallN(c.Retain, c.Env)
	purego.SyscallN(c.Release, c.Env)
	c2, envs2 := lowered(t, func(x int) int { return -x })
	if uint32(c2.Env) != uint32(c.Env) || c2.Env == c.Env {
		t.Fatalf("want the slot reused with a new generation: %x then %x", c.Env, c2.Env)
	}
	wantReleased(t, callClosure(t, c, &r, 8))
	if err := callClosure(t, c2, &r, 8); err != nil || r != -8 {
		t.Fatalf("new closure: %d, %v", r, err)
	}
	endLends(envs2)
	wantReleased(t, callClosure(t, c2, &r, 8))
	// Malformed handles: zero and an index past the table.
	for _, env := range []uintptr{0, 1 << 31} {
		bad := c
		bad.Env = env
		wantReleased(t, callClosure(t, bad, &r, 1))
	}
	if n := LiveClosures(); n != base {
		t.Fatalf("%d live closures, want %d", n, base)
	}
}

// A reply larger than the scratch buffer is allocated with libc's realloc, which the receiver
// frees with the closure's realloc word.
func TestClosureLargeReply(t *testing.T) {
	c, envs := lowered(t, func(n int) []byte { return make([]byte, n) })
	defer endLends(envs)
	var b []byte
	if err := callClosure(t, c, &b, 100_000); err != nil || len(b) != 100_000 {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
}

// TestClosureGenerationNeverWraps checks that a slot whose generation reached its maximum is
// retired: a handle of its last generation stays invalid however many closures follow.
func TestClosureGenerationNeverWraps(t *testing.T) {
	var table closureTable
	h := table.lend(uncurry.FailingCallback(exceptions.Newf("Test", "unused")), "test")
	table.endLend(h)
	table.slots[0].gen = math.MaxUint32 - 1
	last := table.lend(uncurry.FailingCallback(exceptions.Newf("Test", "unused")), "test")
	if got := uint32(uint64(last) >> 32); got != math.MaxUint32 {
		t.Fatalf("generation %d, want %d", got, uint32(math.MaxUint32))
	}
	table.endLend(last)
	for range 3 {
		next := table.lend(uncurry.FailingCallback(exceptions.Newf("Test", "unused")), "test")
		if uint32(next)-1 == 0 {
			t.Fatalf("slot 0 was reused after its generation reached the maximum (handle %#x)", next)
		}
		if _, _, ok := table.lookup(last); ok {
			t.Fatal("a handle of the retired slot is valid again")
		}
		table.endLend(next)
	}
}
