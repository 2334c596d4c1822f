package host_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/conformance"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// The benchmarks measure, in one run, a full Call against the raw crossing it is built on, so the
// ratio means something on a noisy machine. `make bench` prints them as a table.

func openGuest(b *testing.B, language string) *host.Library {
	b.Helper()
	lib, err := host.Open(testlibs.ConformanceGuests()[language](b))
	if err != nil {
		b.Fatal(err)
	}
	return lib
}

// benchRawAdd calls the add symbol through purego on pre-encoded arguments [1, 2], with a scratch
// buffer and no decoding: the floor a full call is measured against.
func benchRawAdd(b *testing.B, language string) {
	sym := addSymbol(b, openGuest(b, language))
	args := []byte{0x92, 0x01, 0x02}
	scratch := make([]byte, host.DefaultScratchSize)
	in := bytebox.Borrow(args)
	var out bytebox.Box
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		out = bytebox.Box{Ptr: unsafe.Pointer(&scratch[0]), Len: uint64(len(scratch))}
		purego.SyscallN(sym, uintptr(unsafe.Pointer(&in)), uintptr(unsafe.Pointer(&out)))
	}
	if !bytes.Equal(out.Bytes(), []byte{0x81, 0xa2, 'o', 'k', 0x03}) {
		b.Fatalf("reply %x", out.Bytes())
	}
}

func benchCallAdd(b *testing.B, language string) {
	lib := openGuest(b, language)
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

func benchTypedAdd(b *testing.B, language string) {
	add, err := host.Func2[int, int, int](openGuest(b, language), "add")
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

const largeSize = 16 << 20

func benchEchoBytes(b *testing.B, language string) { echoLarge(b, openGuest(b, language)) }

// echoLarge calls lib's echo_bytes with largeSize bytes b.N times.
func echoLarge(b *testing.B, lib *host.Library) {
	payload := conformance.LargePayload(largeSize)
	var got []byte
	b.SetBytes(largeSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := lib.Call("echo_bytes", &got, payload); err != nil {
			b.Fatal(err)
		}
	}
	if !bytes.Equal(got, payload) {
		b.Fatal("payload changed")
	}
}

// addSymbol opens lib's file again with purego and returns its add symbol, for raw crossings.
func addSymbol(b *testing.B, lib *host.Library) uintptr {
	b.Helper()
	handle, err := purego.Dlopen(lib.Path(), purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		b.Fatal(err)
	}
	sym, err := purego.Dlsym(handle, "add")
	if err != nil {
		b.Fatal(err)
	}
	return sym
}

// eachGuest runs bench once per conformance guest, as a sub-benchmark named after its language.
func eachGuest(b *testing.B, bench func(*testing.B, string)) {
	for _, language := range []string{"c", "go", "haskell", "rust"} {
		if testlibs.ConformanceGuests()[language] == nil {
			continue
		}
		b.Run(language, func(b *testing.B) { bench(b, language) })
	}
}

func BenchmarkRawAdd(b *testing.B)         { eachGuest(b, benchRawAdd) }
func BenchmarkCallAdd(b *testing.B)        { eachGuest(b, benchCallAdd) }
func BenchmarkTypedAdd(b *testing.B)       { eachGuest(b, benchTypedAdd) }
func BenchmarkEchoBytes16MiB(b *testing.B) { eachGuest(b, benchEchoBytes) }

// BenchmarkCopy16MiB is the memcpy baseline for the large payloads.
func BenchmarkCopy16MiB(b *testing.B) {
	src := conformance.LargePayload(largeSize)
	dst := make([]byte, largeSize)
	b.SetBytes(largeSize)
	b.ResetTimer()
	for range b.N {
		copy(dst, src)
	}
}

// plainAdd builds a shared library exporting the plain C function int64_t add(int64_t, int64_t)
// into a temporary directory and opens it, or skips the benchmark when there is no C compiler:
// the baseline of a crossing that carries no bytes at all.
func plainAdd(b *testing.B) uintptr {
	b.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		b.Skip("skipping: gcc is not installed")
	}
	dir := b.TempDir()
	src, lib := filepath.Join(dir, "add.c"), filepath.Join(dir, "libadd.so")
	code := "#include <stdint.h>\nint64_t add(int64_t a, int64_t b) { return a + b; }\n"
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-O2", "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
		b.Fatalf("gcc: %v\n%s", err, out)
	}
	handle, err := purego.Dlopen(lib, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		b.Fatal(err)
	}
	return handle
}

// BenchmarkPlainAddSyscallN is purego SyscallN on the plain C add: the floor of any purego
// crossing. (Not a sub-benchmark: `make bench` reads sub-benchmark names as guests.)
func BenchmarkPlainAddSyscallN(b *testing.B) {
	sym, err := purego.Dlsym(plainAdd(b), "add")
	if err != nil {
		b.Fatal(err)
	}
	var r uintptr
	b.ReportAllocs()
	for b.Loop() {
		r, _, _ = purego.SyscallN(sym, 1, 2)
	}
	if r != 3 {
		b.Fatal(r)
	}
}

// BenchmarkPlainAddRegisterLibFunc is purego's typed binding of the plain C add.
func BenchmarkPlainAddRegisterLibFunc(b *testing.B) {
	var add func(a, b int64) int64
	purego.RegisterLibFunc(&add, plainAdd(b), "add")
	var r int64
	b.ReportAllocs()
	for b.Loop() {
		r = add(1, 2)
	}
	if r != 3 {
		b.Fatal(r)
	}
}

// BenchmarkParallelAdd measures how calls scale with goroutines: b.N typed add(1, 2) calls into
// one library, shared out among 1, 2 and 4 goroutines, reported as calls per second of wall
// time. Nothing on the host's call path takes a lock (call states come from a sync.Pool; lib.Call
// looks functions up in a map read through an atomic pointer), so on n free cores n goroutines
// should come close to n times one, unless the guest serializes its calls.
func BenchmarkParallelAdd(b *testing.B) {
	for _, language := range []string{"c", "rust"} {
		if testlibs.ConformanceGuests()[language] == nil {
			continue
		}
		for _, goroutines := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", language, goroutines), func(b *testing.B) {
				add, err := host.Func2[int, int, int](openGuest(b, language), "add")
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				var wg sync.WaitGroup
				errs := make(chan error, goroutines)
				for g := range goroutines {
					calls := b.N / goroutines
					if g < b.N%goroutines {
						calls++
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range calls {
							if sum, err := add(1, 2); err != nil || sum != 3 {
								errs <- fmt.Errorf("add(1, 2) = %d, %v", sum, err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			})
		}
	}
}

// BenchmarkAddSideBySide runs the same add(1, 2) four ways in turn, in chunks of 256 calls: the
// raw crossing on pre-encoded bytes, lib.Call, the typed binding and purego SyscallN on the
// plain C add (when gcc is there). It reports each way's fastest chunk per call (raw-ns, call-ns,
// typed-ns, syscalln-ns) and their ratios: interleaved, and taking the chunks nothing else
// interrupted, the ratios hold on a busy machine where separate benchmarks drift apart. ns/op is
// the mean of the four together.
func BenchmarkAddSideBySide(b *testing.B) {
	var plainSym uintptr
	if _, err := exec.LookPath("gcc"); err == nil {
		handle := plainAdd(b)
		plainSym, _ = purego.Dlsym(handle, "add")
	}
	for _, language := range []string{"c", "rust", "go"} {
		if testlibs.ConformanceGuests()[language] == nil {
			continue
		}
		b.Run(language, func(b *testing.B) {
			lib := openGuest(b, language)
			sym := addSymbol(b, lib)
			add, err := host.Func2[int, int, int](lib, "add")
			if err != nil {
				b.Fatal(err)
			}
			args, scratch := []byte{0x92, 0x01, 0x02}, make([]byte, host.DefaultScratchSize)
			in, out := bytebox.Borrow(args), new(bytebox.Box)
			var sum int
			ways := []func(){
				func() {
					*out = bytebox.Box{Ptr: unsafe.Pointer(&scratch[0]), Len: uint64(len(scratch))}
					purego.SyscallN(sym, uintptr(unsafe.Pointer(&in)), uintptr(unsafe.Pointer(out)))
				},
				func() { // sum is the one of the outer function, as in BenchmarkCallAdd
					if err := lib.Call("add", &sum, 1, 2); err != nil || sum != 3 {
						b.Fatal(sum, err)
					}
				},
				func() {
					if sum, err := add(1, 2); err != nil || sum != 3 {
						b.Fatal(sum, err)
					}
				},
				func() {
					if plainSym != 0 {
						purego.SyscallN(plainSym, 1, 2)
					}
				},
			}
			// best is each way's fastest chunk, per call: the chunks a busy machine did not
			// interrupt, which the ratios compare.
			best := [4]float64{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)}
			b.ReportAllocs()
			for done := 0; done < b.N; {
				chunk := min(256, b.N-done)
				for w, way := range ways {
					start := time.Now()
					for range chunk {
						way()
					}
					if chunk == 256 {
						best[w] = min(best[w], float64(time.Since(start))/float64(chunk))
					}
				}
				done += chunk
			}
			if math.IsInf(best[0], 1) {
				return // b.N < 256: no whole chunk
			}
			raw, call, typed, plain := best[0], best[1], best[2], best[3]
			b.ReportMetric(raw, "raw-ns")
			b.ReportMetric(call, "call-ns")
			b.ReportMetric(typed, "typed-ns")
			b.ReportMetric(typed/raw, "typed/raw")
			b.ReportMetric(call/raw, "call/raw")
			if plainSym != 0 {
				b.ReportMetric(plain, "syscalln-ns")
				b.ReportMetric(typed/plain, "typed/syscalln")
			}
		})
	}
}
