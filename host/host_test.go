package host_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/testlibs"
)

func TestMain(m *testing.M) { testlibs.Main(m) }

func open(t testing.TB, path string, opts ...host.Option) *host.Library {
	t.Helper()
	lib, err := host.Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func badGuest(t testing.TB) string {
	return testlibs.CLibrary(t, "badguest", "host/testdata/badguest.c")
}

// crashNames are the names a guest's crash() may come back as (cabi/ABI.md section 9): the
// framework's virgil.Panic, or Haskell's own ErrorCall.
var crashNames = []string{exceptions.Panic, "ErrorCall"}

// crashOf returns err as the exception of a guest crash, or fails t.
func crashOf(t testing.TB, err error) *exceptions.Exception {
	t.Helper()
	var x *exceptions.Exception
	if !errors.As(err, &x) || !slices.Contains(crashNames, x.Name) {
		t.Fatalf("want one of %v, got %v", crashNames, err)
	}
	return x
}

// exceptionOf returns err as an *exceptions.Exception named name, or fails t.
func exceptionOf(t testing.TB, err error, name string) *exceptions.Exception {
	t.Helper()
	var x *exceptions.Exception
	if !errors.As(err, &x) {
		t.Fatalf("want a %s exception, got %v", name, err)
	}
	if x.Name != name {
		t.Fatalf("want a %s exception, got %+v", name, x)
	}
	return x
}

// liveAllocations reads the guest's count of live virgil_realloc buffers.
func liveAllocations(t testing.TB, lib *host.Library) int64 {
	t.Helper()
	s, err := lib.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return s.Live
}

func TestOpenErrors(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		_, err := host.Open(filepath.Join(t.TempDir(), "nope.so"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("want fs.ErrNotExist, got %v", err)
		}
	})
	t.Run("not a shared library", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "text.so")
		os.WriteFile(path, []byte("just text"), 0o644)
		if _, err := host.Open(path); err == nil || !strings.Contains(err.Error(), "open library") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no virgil_realloc", func(t *testing.T) {
		_, err := host.Open(testlibs.CLibrary(t, "norealloc", "host/testdata/norealloc.c"))
		if err == nil || !strings.Contains(err.Error(), "does not export virgil_realloc") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("abi mismatch", func(t *testing.T) {
		_, err := host.Open(testlibs.CLibrary(t, "abi2guest", "host/testdata/abi2guest.c"))
		x := exceptionOf(t, err, exceptions.AbiMismatch)
		if !strings.Contains(x.Message, "version 2") {
			t.Fatalf("message %q", x.Message)
		}
	})
}

func TestManifest(t *testing.T) {
	lib := open(t, testlibs.GoGuest(t))
	m := lib.Manifest()
	if m == nil || m.ABI != 1 || m.Library != "conformance" || m.Language != "go" || m.Version != "1.0.0" {
		t.Fatalf("manifest %+v", m)
	}
	var names []string
	for _, f := range lib.Functions() {
		names = append(names, f.Name)
	}
	want := "add apply crash divide echo echo_bytes fail_attrs fail_chain fail_plain fire fold greet load_config map_ints parse_int read_file register sleep_ms stats unregister"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("functions %q, want %q", got, want)
	}
	stats := m.Lookup("stats")
	if stats.Params[0].Name != "xs" || stats.Params[0].Type != "[float]" ||
		stats.Result != `{"count": int, "mean": float, "min": float, "max": float}` || !strings.HasPrefix(stats.Doc, "Stats summarizes") {
		t.Fatalf("stats %+v", stats)
	}
	if d := m.Lookup("divide"); d.Params[1].Name != "b" || d.Params[1].Type != "float" || d.Result != "float" {
		t.Fatalf("divide %+v", d)
	}
	if a := m.Lookup("apply"); a.Params[0].Type != "fn(int) -> int" || a.Result != "int" {
		t.Fatalf("apply %+v", a)
	}
	if r := m.Lookup("register"); r.Params[0].Type != "fn(int) -> int" || r.Result != "nil" {
		t.Fatalf("register %+v", r)
	}
}

func TestUnknownFunction(t *testing.T) {
	lib := open(t, testlibs.CGuest(t))
	err := lib.Call("no_such_function", nil)
	exceptionOf(t, err, exceptions.UnknownFunction)
	if !strings.Contains(err.Error(), "no_such_function") {
		t.Fatal(err)
	}
}

// Every way badguest breaks the reply rules comes out as a clear error, and nothing leaks.
func TestMisbehavingGuest(t *testing.T) {
	lib := open(t, badGuest(t))
	before := liveAllocations(t, lib)
	for _, tc := range []struct{ function, name, message string }{
		{"not_envelope", exceptions.ResultError, "a str, not an envelope"},
		{"empty_reply", exceptions.OutOfMemory, "could not allocate its reply"},
		{"two_keys", exceptions.ResultError, "2 entries"},
		{"wrong_key", exceptions.ResultError, `"result"`},
		{"trailing", exceptions.ResultError, "unexpected bytes"},
		{"truncated", exceptions.ResultError, "truncated"},
		{"deep_nesting", exceptions.LimitExceeded, "nesting deeper than 512"},
		{"bad_exception", exceptions.ResultError, "malformed exception record"},
		{"deep_cause", exceptions.LimitExceeded, "malformed exception record"},
	} {
		t.Run(tc.function, func(t *testing.T) {
			for _, opts := range [][]host.Option{nil, {host.WithScratchSize(0)}} {
				var v any
				x := exceptionOf(t, open(t, lib.Path(), opts...).Call(tc.function, &v), tc.name)
				if !strings.Contains(x.Message, tc.message) {
					t.Fatalf("message %q, want it to contain %q", x.Message, tc.message)
				}
			}
		})
	}
	if after := liveAllocations(t, lib); after != before {
		t.Fatalf("live guest buffers went from %d to %d", before, after)
	}
}

// Replies that fit the scratch buffer exactly stay in it; one byte more is allocated and freed.
func TestScratchBoundary(t *testing.T) {
	const scratch = 64
	lib := open(t, badGuest(t), host.WithScratchSize(scratch))
	before := liveAllocations(t, lib)
	for _, n := range []int{0, 57, 58, 59, 250, 4096, 1 << 20} { // reply = 6 + n bytes for n < 256
		var got []byte
		if err := lib.Call("scratch_fill", &got, n); err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("n=%d: got %d bytes", n, len(got))
		}
		for i, b := range got {
			if b != byte(i%251) {
				t.Fatalf("n=%d: byte %d is %d", n, i, b)
			}
		}
	}
	var s string
	if err := lib.Call("always_alloc", &s); err != nil || s != "allocated" {
		t.Fatal(s, err)
	}
	if after := liveAllocations(t, lib); after != before {
		t.Fatalf("live guest buffers went from %d to %d", before, after)
	}
}

func TestTypedBindings(t *testing.T) {
	for language, build := range testlibs.ConformanceGuests() {
		t.Run(language, func(t *testing.T) {
			lib := open(t, build(t))
			add, err := host.Func2[int, int, int](lib, "add")
			if err != nil {
				t.Fatal(err)
			}
			if sum, err := add(40, 2); err != nil || sum != 42 {
				t.Fatal(sum, err)
			}
			var divide func(a, b float64) (float64, error)
			if err := lib.Bind("divide", &divide); err != nil {
				t.Fatal(err)
			}
			if q, err := divide(1, 4); err != nil || q != 0.25 {
				t.Fatal(q, err)
			}
			_, err = divide(1, 0)
			exceptionOf(t, err, "ZeroDivisionError")

			type summary struct {
				Count    int
				Mean     float64 `msgpack:"mean"`
				Min, Max float64
				Extra    *float64
			}
			stats, err := host.Func1[[]float64, summary](lib, "stats")
			if err != nil {
				t.Fatal(err)
			}
			// Count matches "count" by its folded name (the struct rule); Extra is optional.
			if s, err := stats([]float64{1, 2, 6}); err != nil || s.Mean != 3 || s.Count != 3 || s.Max != 6 || s.Extra != nil {
				t.Fatal(s, err)
			}
			greet, _ := host.Func1[string, string](lib, "greet")
			if g, err := greet("Gopher"); err != nil || g != "Hello, Gopher!" {
				t.Fatal(g, err)
			}
			crash, _ := host.Func0[any](lib, "crash")
			_, err = crash()
			if x := crashOf(t, err); x.Message == "" {
				t.Fatal("a panic needs its message")
			}
		})
	}
}

func TestBindingArityCheckedAgainstManifest(t *testing.T) {
	lib := open(t, testlibs.GoGuest(t))
	if _, err := host.Func1[int, int](lib, "add"); err == nil || !strings.Contains(err.Error(), "takes 2 arguments") {
		t.Fatalf("got %v", err)
	}
	var add func(int) (int, error)
	if err := lib.Bind("add", &add); err == nil {
		t.Fatal("Bind must refuse a binding of the wrong arity")
	}
	var noErr func(int, int) int
	if err := lib.Bind("add", &noErr); err == nil || !strings.Contains(err.Error(), "must return error") {
		t.Fatalf("got %v", err)
	}
}

// A guest exception keeps its frames and causes, and prints as a cross-language traceback.
func TestGuestExceptionsKeepTheirStory(t *testing.T) {
	lib := open(t, testlibs.GoGuest(t))
	err := lib.Call("fail_chain", nil, 3)
	x := exceptionOf(t, err, "ChainLevel3")
	depth := 0
	for level := x; level != nil; level = level.Cause {
		depth++
		if level.Language != "go" || len(level.Traceback) == 0 {
			t.Fatalf("level %s: language %q, %d frames", level.Name, level.Language, len(level.Traceback))
		}
		if last := level.Traceback[len(level.Traceback)-1]; !strings.Contains(last.Function, "main.chainLevel") {
			t.Fatalf("level %s: innermost frame %+v, want main.chainLevel", level.Name, last)
		}
	}
	if depth != 3 {
		t.Fatalf("depth %d", depth)
	}
	text := fmt.Sprintf("%+v", err)
	for _, want := range []string{"ChainLevel1: level 1", "ChainLevel3: level 3", "direct cause", "main.chainLevel", "[go]"} {
		if !strings.Contains(text, want) {
			t.Errorf("%%+v lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "ChainLevel1") > strings.Index(text, "ChainLevel3") {
		t.Error("the innermost cause must print first")
	}
	var chain *exceptions.Exception
	if !errors.As(errors.Unwrap(err), &chain) || chain.Name != "ChainLevel2" {
		t.Fatalf("Unwrap must give the cause, got %v", errors.Unwrap(err))
	}
}

func TestPanicsDoNotKillTheHost(t *testing.T) {
	for language, build := range testlibs.ConformanceGuests() {
		lib := open(t, build(t))
		for range 1000 {
			crashOf(t, lib.Call("crash", nil))
		}
		var sum int
		if err := lib.Call("add", &sum, 1, 2); err != nil || sum != 3 {
			t.Fatalf("%s: after 1000 panics add gives %d, %v", language, sum, err)
		}
	}
}

func TestArgumentsThatCannotBeLowered(t *testing.T) {
	lib := open(t, testlibs.CGuest(t))
	x := exceptionOf(t, lib.Call("echo", nil, make(chan int)), exceptions.ArgumentError)
	if !strings.Contains(x.Message, "argument 1 (chan int)") {
		t.Fatal(x.Message)
	}
}

func TestConcurrentCalls(t *testing.T) {
	for language, build := range testlibs.ConformanceGuests() {
		t.Run(language, func(t *testing.T) {
			lib := open(t, build(t))
			before := liveAllocations(t, lib)
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for g := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 500 {
						var sum int
						if err := lib.Call("add", &sum, g, i); err != nil || sum != g+i {
							errs <- fmt.Errorf("add(%d, %d) = %d, %v", g, i, sum, err)
							return
						}
						if i%100 == 0 {
							if err := lib.Call("sleep_ms", nil, 1); err != nil {
								errs <- err
								return
							}
							var x *exceptions.Exception
							if err := lib.Call("divide", nil, 1, 0); !errors.As(err, &x) || x.Name != "ZeroDivisionError" {
								errs <- fmt.Errorf("divide(1, 0): %v", err)
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
			if after := liveAllocations(t, lib); after != before {
				t.Fatalf("live guest buffers went from %d to %d", before, after)
			}
		})
	}
}

// 100,000 calls of every kind leave no guest buffer behind.
func TestNoLeaks(t *testing.T) {
	for language, build := range testlibs.ConformanceGuests() {
		t.Run(language, func(t *testing.T) {
			lib := open(t, build(t), host.WithScratchSize(256))
			before := liveAllocations(t, lib)
			big := make([]byte, 1000) // larger than the scratch buffer: the guest allocates
			for i := range 100_000 {
				var err error
				switch i % 5 {
				case 0:
					err = lib.Call("add", nil, i, 1)
				case 1:
					err = lib.Call("echo_bytes", nil, big)
				case 2:
					err = lib.Call("fail_chain", nil, 5)
				case 3:
					err = lib.Call("add", nil, "wrong")
				case 4:
					err = lib.Call("crash", nil)
				}
				if (i%5 < 2) != (err == nil) {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			if after := liveAllocations(t, lib); after != before {
				t.Fatalf("live guest buffers went from %d to %d", before, after)
			}
		})
	}
}

func TestClose(t *testing.T) {
	lib := open(t, testlibs.CGuest(t))
	add, _ := host.Func2[int, int, int](lib, "add")
	lib.Close()
	if err := lib.Call("add", nil, 1, 2); !errors.Is(err, host.ErrClosed) {
		t.Fatalf("Call after Close: %v", err)
	}
	if _, err := add(1, 2); !errors.Is(err, host.ErrClosed) {
		t.Fatalf("a binding after Close: %v", err)
	}
}
