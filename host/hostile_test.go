package host_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/testlibs"
	"github.com/virgilffi/virgil/internal/typedjson"
)

// hostileSuite is cabi/conformance/hostile.json.
type hostileSuite struct {
	GuestFaults []struct {
		Function, Does, Expect string
	} `json:"guest_faults"`
	HostFaults []struct {
		Name, Does, Expect, Requires string
	} `json:"host_faults"`
}

func loadHostile(t *testing.T) hostileSuite {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(typedjson.RepoRoot(), "cabi", "conformance", "hostile.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s hostileSuite
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("hostile.json: %v", err)
	}
	if len(s.GuestFaults) == 0 || len(s.HostFaults) == 0 {
		t.Fatal("hostile.json: no cases")
	}
	return s
}

// leaksOnPurpose is the guest fault whose buffer the host must not free, so it stays live.
const leaksOnPurpose = "reply_pointer_without_length"

// checkGuestFault calls one function of the hostile guest and checks its error (or its 42).
func checkGuestFault(lib *host.Library, function, expect string) error {
	var v any
	err := lib.Call(function, &v)
	if expect == "ok:42" {
		if err != nil || fmt.Sprint(v) != "42" {
			return fmt.Errorf("%s: want 42, got %v, %v", function, v, err)
		}
		return nil
	}
	if expect == "ok:in" { // a borrowed view of the argument array the host sent: [] (0x90)
		if b, ok := v.([]byte); err != nil || !ok || !bytes.Equal(b, []byte{0x90}) {
			return fmt.Errorf("%s: want the argument bytes 90, got %#v, %v", function, v, err)
		}
		return nil
	}
	var x *exceptions.Exception
	switch {
	case !errors.As(err, &x):
		return fmt.Errorf("%s: want %s, got %v (%v)", function, expect, err, v)
	case x.Name != expect:
		return fmt.Errorf("%s: want %s, got %+v", function, expect, x)
	case !strings.HasPrefix(x.Message, function+": "):
		return fmt.Errorf("%s: the message %q does not name the function", function, x.Message)
	}
	return nil
}

// TestHostileGuest calls every guest_faults function of hostile.json on the hostile C guest: each
// gives its error, the process lives on, and the guest's live buffers come back to where they
// were but for the one buffer the guest leaks on purpose (so nothing of the guest's is freed
// twice or left behind, and nothing of the host's is given to the guest's allocator).
func TestHostileGuest(t *testing.T) {
	suite := loadHostile(t)
	lib := open(t, testlibs.HostileGuest(t))
	listed := map[string]bool{}
	for _, f := range lib.Functions() {
		listed[f.Name] = true
	}
	before := liveAllocations(t, lib)
	leaks := int64(0)
	for _, c := range suite.GuestFaults {
		if !listed[c.Function] {
			t.Errorf("the hostile guest's manifest does not list %s", c.Function)
			continue
		}
		if c.Function == leaksOnPurpose {
			leaks++
		}
		t.Run(c.Function, func(t *testing.T) {
			if err := checkGuestFault(lib, c.Function, c.Expect); err != nil {
				t.Errorf("%v (it %s)", err, c.Does)
			}
		})
	}
	if err := checkGuestFault(lib, "reply_ok_then_valid", "ok:42"); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	if after := liveAllocations(t, lib); after != before+leaks {
		t.Fatalf("the guest's live buffers went from %d to %d, want %d", before, after, before+leaks)
	}
}

// TestHostileGuestConcurrently runs the guest faults from several goroutines at once (under -race
// in make test-race): the checks share no state between calls.
func TestHostileGuestConcurrently(t *testing.T) {
	suite := loadHostile(t)
	lib := open(t, testlibs.HostileGuest(t))
	before := liveAllocations(t, lib)
	const workers, rounds = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	leaks := int64(0)
	for _, c := range suite.GuestFaults {
		if c.Function == leaksOnPurpose {
			leaks += workers * rounds
		}
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				for _, c := range suite.GuestFaults {
					if err := checkGuestFault(lib, c.Function, c.Expect); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if after := liveAllocations(t, lib); after != before+leaks {
		t.Fatalf("the guest's live buffers went from %d to %d, want %d", before, after, before+leaks)
	}
}

// TestMaxReply: a reply over WithMaxReply is virgil.LimitExceeded and goes back to the guest
// unread; under the limit the same reply is read.
func TestMaxReply(t *testing.T) {
	path := testlibs.HostileGuest(t)
	lib := open(t, path, host.WithMaxReply(100_000)) // the manifest fits, 4,097 frames do not
	before := liveAllocations(t, lib)
	x := exceptionOf(t, lib.Call("reply_frames_4097", nil), exceptions.LimitExceeded)
	if !strings.HasPrefix(x.Message, "reply_frames_4097: the reply is ") || !strings.Contains(x.Message, "more than the maximum of 100000; it was freed unread") {
		t.Fatalf("message %q", x.Message)
	}
	if err := lib.Call("reply_ok_then_valid", nil); err != nil {
		t.Fatal(err)
	}
	if after := liveAllocations(t, lib); after != before {
		t.Fatalf("live buffers went from %d to %d", before, after)
	}
}

// rawGuest calls a conformance guest's symbols with hand-made boxes, as a hostile host would.
type rawGuest struct {
	lib     *host.Library
	handle  uintptr
	realloc uintptr
}

func openRaw(t *testing.T, path string) *rawGuest {
	t.Helper()
	lib := open(t, path)
	handle, err := purego.Dlopen(lib.Path(), purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		t.Fatal(err)
	}
	realloc, err := purego.Dlsym(handle, "virgil_realloc")
	if err != nil {
		t.Fatal(err)
	}
	return &rawGuest{lib: lib, handle: handle, realloc: realloc}
}

// call calls function with in (nil passes a NULL in pointer) and a scratch buffer of scratchSize
// bytes (-1 passes a NULL out pointer, and the call returns nil). It returns a copy of the reply
// and frees the guest's buffer.
func (g *rawGuest) call(t *testing.T, function string, in *bytebox.Box, scratchSize int) []byte {
	t.Helper()
	sym, err := purego.Dlsym(g.handle, function)
	if err != nil {
		t.Fatal(err)
	}
	if scratchSize < 0 {
		purego.SyscallN(sym, uintptr(unsafe.Pointer(in)), 0)
		return nil
	}
	scratch := make([]byte, max(scratchSize, 1))
	sp := unsafe.Pointer(&scratch[0])
	out := bytebox.Box{Ptr: sp, Len: uint64(scratchSize)}
	purego.SyscallN(sym, uintptr(unsafe.Pointer(in)), uintptr(unsafe.Pointer(&out)))
	switch {
	case out.Ptr == nil || out.Len == 0:
		t.Fatalf("%s: reply box {%p, %d}", function, out.Ptr, out.Len)
	case out.Ptr == sp && out.Len > uint64(scratchSize):
		t.Fatalf("%s: a %d-byte reply in a %d-byte scratch buffer", function, out.Len, scratchSize)
	}
	reply := bytes.Clone(out.Bytes())
	if out.Ptr != sp {
		purego.SyscallN(g.realloc, uintptr(out.Ptr), 0)
	}
	return reply
}

// hostFaultInput builds the argument bytes and the function of a host_faults case.
func hostFaultInput(name string) (function string, in []byte, nilIn bool) {
	nested := func(depth int) []byte {
		b := []byte{0x91}
		b = append(b, bytes.Repeat([]byte{0x91}, depth)...)
		return append(b, 0x01)
	}
	closure := make([]byte, 40)
	for i := 1; i < 5; i++ {
		closure[8*i] = byte(i) // call is 0, every other word non-zero
	}
	switch name {
	case "null in":
		return "add", nil, true
	case "empty in", "null out":
		return "add", nil, false
	case "garbage":
		return "add", []byte{0xc1, 0xc1}, false
	case "truncated":
		return "add", []byte{0x92, 0x01}, false
	case "array32 header claiming 2^32-1 elements":
		return "add", []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}, false
	case "str32 header claiming 4 GiB":
		return "greet", []byte{0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61}, false
	case "wrong arity":
		return "add", []byte{0x91, 0x01}, false
	case "wrong type":
		return "add", []byte{0x92, 0x01, 0xa1, 0x32}, false
	case "not an array":
		return "add", []byte{0x81, 0xa1, 0x61, 0x01}, false
	case "nesting 513":
		return "echo", nested(513), false
	case "nesting 512":
		return "echo", nested(512), false
	case "closure with a NULL call word":
		return "apply", append(append([]byte{0x92, 0xc7, 0x28, 0x40}, closure...), 0x15), false
	case "closure with a short payload":
		return "apply", append(append([]byte{0x92, 0xd7, 0x40}, closure[:8]...), 0x15), false
	case "scratch smaller than the reply":
		return "greet", append([]byte{0x91, 0xd9, 100}, bytes.Repeat([]byte{'x'}, 100)...), false
	}
	return "", nil, false
}

// TestHostileHost inflicts every host_faults case of hostile.json on every conformance guest
// through raw boxes: each reply names the expected error, the guest still answers add(1, 2), and
// its live buffers come back to where they were.
func TestHostileHost(t *testing.T) {
	suite := loadHostile(t)
	for language, build := range testlibs.ConformanceGuests() {
		t.Run(language, func(t *testing.T) {
			g := openRaw(t, build(t))
			for _, c := range suite.HostFaults {
				t.Run(c.Name, func(t *testing.T) {
					if c.Requires == "borrow" {
						inflictBorrowed(t, g, c.Name, c.Does)
						return
					}
					function, args, nilIn := hostFaultInput(c.Name)
					if function == "" {
						t.Fatalf("no input for the case %q (it %s)", c.Name, c.Does)
					}
					if g.lib.Manifest() != nil && g.lib.Manifest().Lookup(function) == nil {
						t.Skipf("guest %s does not yet export %s", language, function)
					}
					before := liveAllocations(t, g.lib)
					in := bytebox.Borrow(args)
					inPtr := &in
					if nilIn {
						inPtr = nil
					}
					scratch := host.DefaultScratchSize
					switch c.Name {
					case "null out":
						scratch = -1
					case "scratch smaller than the reply":
						scratch = 4
					}
					reply := g.call(t, function, inPtr, scratch)
					if err := checkHostFault(c.Expect, args, reply); err != nil {
						t.Errorf("%s (the host %s)", err, c.Does)
					}
					var sum int
					if err := g.lib.Call("add", &sum, 1, 2); err != nil || sum != 3 {
						t.Fatalf("after the fault, add(1, 2) gives %d, %v", sum, err)
					}
					if after := liveAllocations(t, g.lib); after != before {
						t.Errorf("the guest's live buffers went from %d to %d", before, after)
					}
				})
			}
		})
	}
}

// checkHostFault checks a guest's reply to a host fault against its expect.
func checkHostFault(expect string, args, reply []byte) error {
	var v any
	err := codec.DecodeReply(reply, &v)
	switch expect {
	case "no reply":
		return nil
	case "ok":
		if err != nil {
			return fmt.Errorf("want a success, got %v", err)
		}
		return nil
	case "ok:same":
		if err != nil {
			return fmt.Errorf("want the argument back, got %v", err)
		}
		// {"ok": value}: the value's bytes are the argument's (args without its array header).
		if want := args[1:]; !bytes.Equal(reply[4:], want) {
			return fmt.Errorf("the reply's value is not the argument: %x", reply)
		}
		return nil
	}
	var x *exceptions.Exception
	switch {
	case !errors.As(err, &x):
		return fmt.Errorf("want %s, got %v (reply %x)", expect, err, reply)
	case x.Name != expect:
		return fmt.Errorf("want %s, got %s: %s", expect, x.Name, x.Message)
	}
	return nil
}
