// Package testlibs builds the guest libraries that tests load: the Go and C conformance guests
// and the misbehaving C fixtures. Each is built once per test process into a temporary
// directory. A missing toolchain skips the test with a clear message, except under CI=true,
// where it fails it.
package testlibs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/virgilffi/virgil/internal/typedjson"
)

var (
	mu    sync.Mutex
	built = map[string]result{}
	dir   string
)

type result struct {
	path string
	err  error
}

// Main runs a test binary's tests and then removes the libraries built for them. Use it from
// TestMain: func TestMain(m *testing.M) { testlibs.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if dir != "" {
		os.RemoveAll(dir)
	}
	mu.Unlock()
	os.Exit(code)
}

// Require skips (or, in CI, fails) t when tool is not on PATH.
func Require(t testing.TB, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI but is not installed", tool)
		}
		t.Skipf("skipping: %s is not installed", tool)
	}
}

// GuestDirVariable names the environment variable that points at prebuilt guests. When it is
// set, a conformance guest libconformance_<language>.so (or the hostile guest libhostile.so)
// found there is used as it is (make test
// builds them once for every test process); otherwise each test process builds its own.
const GuestDirVariable = "VIRGIL_GUEST_DIR"

// path builds (once) and returns the library called name.
func path(t testing.TB, name string, tools []string, build func(dir string) (string, error)) string {
	t.Helper()
	if prebuilt := prebuiltGuest(name); prebuilt != "" {
		return prebuilt
	}
	for _, tool := range tools {
		Require(t, tool)
	}
	mu.Lock()
	defer mu.Unlock()
	if r, ok := built[name]; ok {
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.path
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "virgil-testlibs-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	p, err := build(dir)
	built[name] = result{p, err}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// prebuiltGuest returns the prebuilt guest for a library name such as "go:./examples/go-guest",
// "c:conformance_c", "c:hostile" or "haskell", or "" when there is none.
func prebuiltGuest(name string) string {
	dir := os.Getenv(GuestDirVariable)
	file := map[string]string{
		"go:./examples/go-guest": "libconformance_go.so", "c:conformance_c": "libconformance_c.so",
		"haskell": "libconformance_haskell.so", "rust": "libconformance_rust.so",
		"c:hostile": "libhostile.so",
	}[name]
	if dir == "" || file == "" {
		return ""
	}
	p := filepath.Join(dir, file)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = typedjson.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %v: %w\n%s", name, args, err, out)
	}
	return nil
}

// GoLibrary builds the Go package pkg (a path relative to the repository root, such as
// "./examples/go-guest") with -buildmode=c-shared.
func GoLibrary(t testing.TB, pkg string) string {
	return path(t, "go:"+pkg, []string{"go", "gcc"}, func(dir string) (string, error) {
		out := filepath.Join(dir, "lib"+filepath.Base(pkg)+".so")
		return out, run("go", "build", "-buildmode=c-shared", "-o", out, pkg)
	})
}

// CLibrary compiles the C sources (paths relative to the repository root) into one library.
func CLibrary(t testing.TB, name string, sources ...string) string {
	return path(t, "c:"+name, []string{"gcc"}, func(dir string) (string, error) {
		out := filepath.Join(dir, "lib"+name+".so")
		args := []string{"-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-I", "cabi", "-o", out}
		return out, run("gcc", append(append(args, sources...), "-lm")...)
	})
}

// GoGuest returns the Go conformance guest.
func GoGuest(t testing.TB) string { return GoLibrary(t, "./examples/go-guest") }

// CGuest returns the C conformance guest.
func CGuest(t testing.TB) string {
	srcs, _ := filepath.Glob(filepath.Join(typedjson.RepoRoot(), "examples", "c-guest", "*.c"))
	rel := make([]string, len(srcs))
	for i, s := range srcs {
		rel[i], _ = filepath.Rel(typedjson.RepoRoot(), s)
	}
	return CLibrary(t, "conformance_c", rel...)
}

// HostileGuest returns the hostile C guest of cabi/conformance/hostile.json
// (cabi/conformance/hostile/hostile_guest.c), whose every function breaks the protocol one way.
func HostileGuest(t testing.TB) string {
	return CLibrary(t, "hostile", filepath.Join("cabi", "conformance", "hostile", "hostile_guest.c"))
}

// HaskellGuest returns the Haskell conformance guest, built by cabi/haskell's Makefile.
func HaskellGuest(t testing.TB) string {
	return path(t, "haskell", []string{"ghc", "make"}, func(dir string) (string, error) {
		out := filepath.Join(dir, "libconformance_haskell.so")
		return out, run("make", "-s", "-C", "cabi/haskell", "guest", "OUT="+out, "BUILD="+filepath.Join(dir, "hs"))
	})
}

// RustGuest returns the Rust conformance guest, built with cargo. The library is copied out of
// cargo's target directory, so a later build never replaces a file a test has loaded.
func RustGuest(t testing.TB) string {
	return path(t, "rust", []string{"cargo"}, func(dir string) (string, error) {
		target := filepath.Join(typedjson.RepoRoot(), "cabi", "rust", "target")
		if err := run("cargo", "build", "--release", "--locked", "--manifest-path", "cabi/rust/Cargo.toml",
			"--target-dir", target, "-p", "conformance-rust"); err != nil {
			return "", err
		}
		data, err := os.ReadFile(filepath.Join(target, "release", "libconformance_rust.so"))
		if err != nil {
			return "", err
		}
		out := filepath.Join(dir, "libconformance_rust.so")
		return out, os.WriteFile(out, data, 0o755)
	})
}

// ConformanceGuests lists every conformance guest with a builder, by language. A guest whose
// toolchain is missing skips its tests (fails them under CI=true).
func ConformanceGuests() map[string]func(testing.TB) string {
	return map[string]func(testing.TB) string{"go": GoGuest, "c": CGuest, "haskell": HaskellGuest, "rust": RustGuest}
}
