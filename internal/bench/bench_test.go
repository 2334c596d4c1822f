package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// The benchmark names are what internal/benchreport reads: Benchmark<group>/<line>[/<guest>].
// Keep them in step with its tables.

func TestMain(m *testing.M) { testlibs.Main(m) }

// guests lists the conformance guests in the order the tables show them.
var guests = []string{"c", "rust", "go", "haskell"}

var (
	libsMu sync.Mutex
	libs   = map[string]*host.Library{}
)

// open returns the conformance guest of language, opened once per process (a benchmark function
// runs several times while the testing package sizes b.N).
func open(b *testing.B, language string) *host.Library {
	b.Helper()
	path := testlibs.ConformanceGuests()[language](b)
	libsMu.Lock()
	defer libsMu.Unlock()
	if lib := libs[path]; lib != nil {
		return lib
	}
	lib, err := host.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	libs[path] = lib
	return lib
}

// eachGuest runs bench once per conformance guest, as a sub-benchmark named after its language.
func eachGuest(b *testing.B, bench func(*testing.B, *host.Library)) {
	for _, language := range guests {
		b.Run(language, func(b *testing.B) { bench(b, open(b, language)) })
	}
}

// plainAdd returns the symbol add of testdata/plain.c, a plain C function compiled with gcc.
func plainAdd(b *testing.B) (handle, sym uintptr) {
	b.Helper()
	path := testlibs.CLibrary(b, "plain", filepath.Join("internal", "bench", "testdata", "plain.c"))
	handle, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		b.Fatal(err)
	}
	sym, err = purego.Dlsym(handle, "add")
	if err != nil {
		b.Fatal(err)
	}
	return handle, sym
}

// BenchmarkCall measures one call of add(1, 2) every way there is, in the same run, so that the
// ratios mean something on a noisy machine.
func BenchmarkCall(b *testing.B) {
	b.Run("cgo", benchCgo)
	b.Run("syscalln", benchSyscallN)
	b.Run("registerlibfunc", benchRegisterLibFunc)
	b.Run("raw", func(b *testing.B) { eachGuest(b, benchRaw) })
	b.Run("funcraw", func(b *testing.B) { eachGuest(b, benchFuncRaw) })
	b.Run("call", func(b *testing.B) { eachGuest(b, benchLibCall) })
	b.Run("typed", func(b *testing.B) { eachGuest(b, benchTyped) })
	b.Run("closure", func(b *testing.B) { eachGuest(b, benchClosure) })
	b.Run("http", benchHTTP)
}

// benchCgo calls a C add linked into the binary.
func benchCgo(b *testing.B) {
	if !cgoEnabled {
		b.Skip("skipping the cgo baseline: this test binary was built without cgo (CGO_ENABLED=0)")
	}
	var sum int64
	b.ReportAllocs()
	for range b.N {
		sum = cgoAdd(1, 2)
	}
	if sum != 3 {
		b.Fatal(sum)
	}
}

// benchSyscallN calls the plain C add through purego.SyscallN: the bare crossing purego offers.
func benchSyscallN(b *testing.B) {
	_, sym := plainAdd(b)
	var sum uintptr
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sum, _, _ = purego.SyscallN(sym, 1, 2)
	}
	if sum != 3 {
		b.Fatal(sum)
	}
}

// benchRegisterLibFunc calls the plain C add through a Go function purego.RegisterLibFunc made.
func benchRegisterLibFunc(b *testing.B) {
	handle, _ := plainAdd(b)
	var add func(a, b int64) int64
	purego.RegisterLibFunc(&add, handle, "add")
	var sum int64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sum = add(1, 2)
	}
	if sum != 3 {
		b.Fatal(sum)
	}
}

var (
	addArgs  = []byte{0x92, 0x01, 0x02}           // [1, 2]
	addReply = []byte{0x81, 0xa2, 'o', 'k', 0x03} // {"ok": 3}
)

// benchRaw calls the guest's add symbol through purego on pre-encoded arguments, with a scratch
// buffer, no checks and no decoding: the floor a Virgil call is measured against.
func benchRaw(b *testing.B, lib *host.Library) {
	handle, err := purego.Dlopen(lib.Path(), purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		b.Fatal(err)
	}
	sym, err := purego.Dlsym(handle, "add")
	if err != nil {
		b.Fatal(err)
	}
	scratch := make([]byte, host.DefaultScratchSize)
	in := bytebox.Borrow(addArgs)
	var out bytebox.Box
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		out = bytebox.Box{Ptr: unsafe.Pointer(&scratch[0]), Len: uint64(len(scratch))}
		purego.SyscallN(sym, uintptr(unsafe.Pointer(&in)), uintptr(unsafe.Pointer(&out)))
	}
	if !bytes.Equal(out.Bytes(), addReply) {
		b.Fatalf("reply %x", out.Bytes())
	}
}

// checkAddReply is the lift of benchFuncRaw: a comparison, no decoding.
func checkAddReply(reply []byte) error {
	if !bytes.Equal(reply, addReply) {
		return fmt.Errorf("reply %x, want %x", reply, addReply)
	}
	return nil
}

// benchFuncRaw calls add through Function.Raw: pre-encoded arguments, the host's checks of the
// reply box, the reply envelope handed over undecoded.
func benchFuncRaw(b *testing.B, lib *host.Library) {
	fn, err := lib.Func("add")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := fn.Raw(addArgs, checkAddReply); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLibCall(b *testing.B, lib *host.Library) {
	var sum int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := lib.Call("add", &sum, 1, 2); err != nil {
			b.Fatal(err)
		}
	}
	if sum != 3 {
		b.Fatal(sum)
	}
}

func benchTyped(b *testing.B, lib *host.Library) {
	add, err := host.Func2[int, int, int](lib, "add")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if sum, err := add(1, 2); err != nil || sum != 3 {
			b.Fatal(sum, err)
		}
	}
}

// benchClosure passes a Go function to the guest's apply, which calls it back once.
func benchClosure(b *testing.B, lib *host.Library) {
	if _, err := lib.Func("apply"); err != nil {
		b.Skipf("skipping: this guest has no apply: %v", err)
	}
	inc := func(x int) int { return x + 1 }
	var got int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := lib.Call("apply", &got, inc, 41); err != nil {
			b.Fatal(err)
		}
	}
	if got != 42 {
		b.Fatal(got)
	}
}

// benchHTTP is the "run it behind a web server" alternative: add as a JSON endpoint on localhost,
// called by a keep-alive client. Both ends run in this process, so allocs/op counts both.
func benchHTTP(b *testing.B) {
	type request struct {
		A int64 `json:"a"`
		B int64 `json:"b"`
	}
	type response struct {
		Sum int64 `json:"sum"`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in request
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(response{in.A + in.B}); err != nil {
			b.Error(err)
		}
	}))
	defer srv.Close()
	client := srv.Client()
	body := []byte(`{"a":1,"b":2}`)
	var out response
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		out = response{}
		err = json.NewDecoder(resp.Body).Decode(&out)
		if _, cerr := io.Copy(io.Discard, resp.Body); err == nil {
			err = cerr
		}
		resp.Body.Close() // read to the end first, so the connection is kept alive
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status, err)
		}
	}
	if out.Sum != 3 {
		b.Fatal(out.Sum)
	}
}
