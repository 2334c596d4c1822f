package main

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/host"
)

// toolchainSymbols are the dynamic symbols every Go c-shared library defines whatever its code,
// because the Go toolchain gives them default visibility and the external linker exports every
// such symbol of a shared object (go build offers no way to hide them without a linker script
// passed by hand):
//   - crosscall1, crosscall2 and x_crosscall2_ptr: runtime/cgo's entry from C into Go, used by
//     every //export;
//   - _cgoexp_<hash>_<name>: cmd/cgo's Go-side trampoline of each //export;
//   - _cgo_<hash>_Cfunc_<name>: cmd/cgo's C-side wrapper of each C function Go code calls (package
//     guest calls virgil_realloc, its counters and the closure helpers this way);
//   - _cgo_* and x_cgo_*: runtime/cgo's C support (thread start, TLS, signal and environment
//     hooks, tracebacks, setuid family), and _cgo_yield;
//   - fatalf: runtime/cgo's fatal error printer.
//
// Hosts never call them: they call only the manifest's functions and the virgil_* symbols
// (cabi/ABI.md section 12).
var toolchainSymbols = regexp.MustCompile(`^(crosscall[12]|x_crosscall2_ptr|_cgoexp_[0-9a-f]+_\w+|_cgo_\w+|x_cgo_\w+|fatalf)$`)

// definedDynamicSymbols lists the names nm -D --defined-only prints for lib.
func definedDynamicSymbols(t *testing.T, lib string) []string {
	t.Helper()
	if _, err := exec.LookPath("nm"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nm is needed to check a guest's symbols: %v", err)
		}
		t.Skipf("nm is needed to check a guest's symbols: %v", err)
	}
	out, err := exec.Command("nm", "-D", "--defined-only", lib).Output()
	if err != nil {
		t.Fatalf("nm -D --defined-only %s: %v", lib, err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if fields := strings.Fields(line); len(fields) >= 3 {
			names = append(names, fields[len(fields)-1])
		}
	}
	return names
}

// A Go guest built the documented way (virgil-gen, then go build -buildmode=c-shared) exports
// its library's functions, the virgil_* symbols and the Go toolchain's own symbols, nothing else
// (issue 12, point 7): in particular nothing of package guest's C code but virgil_realloc.
func TestSymbolHygiene(t *testing.T) {
	requireCgo(t)
	lib := generateAndBuild(t, "shapes")
	l, err := host.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	allowed := []string{"virgil_manifest", "virgil_realloc", "virgil_stats"}
	for _, f := range l.Manifest().Functions {
		allowed = append(allowed, f.Name)
	}
	symbols := definedDynamicSymbols(t, lib)
	var extra, toolchain []string
	for _, s := range symbols {
		switch {
		case slices.Contains(allowed, s):
		case toolchainSymbols.MatchString(s):
			toolchain = append(toolchain, s)
		default:
			extra = append(extra, s)
		}
	}
	if len(extra) > 0 {
		t.Errorf("%s exports %d symbols that are neither its functions, nor virgil_*, nor the Go toolchain's: %v", lib, len(extra), extra)
	}
	for _, want := range allowed {
		if !slices.Contains(symbols, want) {
			t.Errorf("%s does not export %s", lib, want)
		}
	}
	for _, hidden := range []string{"virgil_guest_counts", "virgil_guest_closure_call", "virgil_guest_closure_ref", "virgil_guest_closure_free"} {
		if slices.Contains(symbols, hidden) {
			t.Errorf("%s exports package guest's internal %s", lib, hidden)
		}
	}
	t.Logf("%d symbols: %d of the library, %d of the Go toolchain", len(symbols), len(allowed), len(toolchain))
}
