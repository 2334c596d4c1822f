package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
)

// requireCgo skips a test that builds a c-shared library when the toolchain for it is missing,
// except under CI=true, where it fails.
func requireCgo(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a shared library; skipped in -short mode")
	}
	for _, tool := range []string{"go", "gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed to build a c-shared guest: %v", tool, err)
			}
			t.Skipf("%s is needed to build a c-shared guest: %v", tool, err)
		}
	}
}

// guestDir makes a package directory inside the module (under testdata, which ./... patterns
// ignore) so that the package can import github.com/virgilffi/virgil/guest. It is removed when
// the test ends. It returns the directory relative to this package.
func guestDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir, err := os.MkdirTemp("testdata", "tmp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fixtureFiles reads the Go files of a fixture under testdata.
func fixtureFiles(t *testing.T, name string) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", name, "*.go"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("fixture %s: %v", name, err)
	}
	files := map[string]string{}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = string(src)
	}
	return files
}

// buildShared builds the package in dir as a C shared library and returns its path.
func buildShared(t *testing.T, dir string) (string, error) {
	t.Helper()
	lib := filepath.Join(t.TempDir(), "lib"+filepath.Base(dir)+".so")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", lib, "./"+filepath.ToSlash(dir))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{err: err, out: string(out)}
	}
	return lib, nil
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// exportedFuncs lists the functions a shared library exports.
func exportedFuncs(t *testing.T, lib string) []string {
	t.Helper()
	f, err := elf.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && elf.ST_BIND(s.Info) == elf.STB_GLOBAL && s.Section != elf.SHN_UNDEF {
			names = append(names, s.Name)
		}
	}
	return names
}

// generateAndBuild copies the fixture called name to a guest directory, runs virgil-gen on it
// and builds it with -buildmode=c-shared, returning the library's path.
func generateAndBuild(t *testing.T, name string) string {
	t.Helper()
	dir := guestDir(t, fixtureFiles(t, name))
	if err := run(dir, "virgil_exports.go"); err != nil {
		t.Fatal(err)
	}
	lib, err := buildShared(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// TestEndToEnd generates the exports of the shapes fixture, builds it with -buildmode=c-shared,
// checks the library's exported symbols, and calls it through package host.
func TestEndToEnd(t *testing.T) {
	requireCgo(t)
	lib := generateAndBuild(t, "shapes")

	symbols := exportedFuncs(t, lib)
	for _, want := range []string{
		"add", "check", "clamp", "describe", "divide", "explode", "greet", "http_get", "join_words", "now", "pair",
		"secret_sum", "store", "touch", "volume", "virgil_realloc", "virgil_manifest", "virgil_stats",
	} {
		if !slices.Contains(symbols, want) {
			t.Errorf("%s does not export %s; it exports %v", lib, want, symbols)
		}
	}
	for _, unwanted := range []string{"Add", "Join", "secretSum", "testOnly", "main"} {
		if slices.Contains(symbols, unwanted) {
			t.Errorf("%s exports %s", lib, unwanted)
		}
	}

	l, err := host.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m := l.Manifest()
	if m == nil || m.ABI != 1 || m.Library != "shapes" || m.Version != "2.1.0" || m.Language != "go" {
		t.Fatalf("manifest %+v", m)
	}
	var names []string
	for _, f := range m.Functions {
		names = append(names, f.Name)
	}
	if want := "add check clamp describe divide explode greet http_get join_words now pair secret_sum store touch volume"; strings.Join(names, " ") != want {
		t.Errorf("manifest functions %q, want %q", strings.Join(names, " "), want)
	}
	describe := m.Lookup("describe")
	if describe == nil || len(describe.Params) != 5 || describe.Params[2].Name != "tags" || describe.Params[2].Type != "[str]" ||
		describe.Result != `{"name": str, "age": int, "tags": [str], "score": float, "active": bool}` ||
		describe.Doc != "Describe has five parameters and an error." {
		t.Errorf("manifest entry of describe: %+v", describe)
	}
	if j := m.Lookup("join_words"); j == nil || j.Doc != "Join has a symbol of its own.\nIts doc comment has two lines." {
		t.Errorf("manifest entry of join_words: %+v", j)
	}

	calls := []struct {
		name string
		args []any
		want any
	}{
		{"add", []any{2, 3}, int64(5)},
		{"clamp", []any{7, 0, 5}, 5.0},
		{"divide", []any{1, 4}, 0.25},
		{"volume", []any{2, 3, 4, "m"}, "24 m3"},
		{"join_words", []any{"-", []string{"a", "b"}}, "a-b"},
		{"http_get", []any{"http://x"}, int64(8)},
		{"secret_sum", []any{[]int{1, 2, 3}}, int64(6)},
		{"pair", []any{1, "x"}, "pair"},
		{"greet", []any{"Ada"}, "Hello, Ada!"},
		{"touch", nil, nil},
		{"check", []any{1}, nil},
		{"store", []any{"k", []byte("v"), true}, nil},
	}
	for _, c := range calls {
		var got any
		if err := l.Call(c.name, &got, c.args...); err != nil {
			t.Errorf("%s%v: %v", c.name, c.args, err)
			continue
		}
		if !sameScalar(got, c.want) {
			t.Errorf("%s%v = %#v, want %#v", c.name, c.args, got, c.want)
		}
	}
	var profile struct {
		Name string   `msgpack:"name"`
		Tags []string `msgpack:"tags"`
	}
	if err := l.Call("describe", &profile, "Ada", 36, []string{"x"}, 1.5, true); err != nil || profile.Name != "Ada" || len(profile.Tags) != 1 {
		t.Errorf("describe = %+v, %v", profile, err)
	}
	var at time.Time
	if err := l.Call("now", &at); err != nil || !at.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("now() = %v, %v", at, err)
	}
	failures := []struct {
		name    string
		args    []any
		errName string
	}{
		{"check", []any{-1}, "ValueError"},
		{"describe", []any{"Ada", -1, nil, 0, false}, "ValueError"},
		{"divide", []any{1, 0}, "Exception"},
		{"add", []any{1, "2"}, exceptions.ArgumentError},
		{"volume", []any{1, 2, 3}, exceptions.ArgumentError},
	}
	for _, f := range failures {
		err := l.Call(f.name, nil, f.args...)
		if x, ok := err.(*exceptions.Exception); !ok || x.Name != f.errName {
			t.Errorf("%s%v: error %v, want %s", f.name, f.args, err, f.errName)
		}
	}

	// A panic comes back as virgil.Panic whose traceback starts at the user's code: the frames
	// of cgo, package guest and package uncurry that called it are trimmed.
	t.Run("panic traceback starts at user code", func(t *testing.T) {
		err := l.Call("explode", nil)
		x, ok := err.(*exceptions.Exception)
		if !ok || x.Name != exceptions.Panic || x.Message != "assignment to entry in nil map" || len(x.Traceback) == 0 {
			t.Fatalf("explode(): %#v", err)
		}
		last := x.Traceback[len(x.Traceback)-1]
		if last.Function != "main.Explode" || !strings.HasSuffix(last.File, "main.go") || last.Line == 0 {
			t.Errorf("explode(): the last frame is %+v, want main.Explode", last)
		}
		if first := x.Traceback[0]; first.Function != "main.Explode" {
			t.Errorf("explode(): the traceback starts with %s (%s:%d), want main.Explode; whole traceback: %+v",
				first.Function, first.File, first.Line, x.Traceback)
		}
	})
}

// sameScalar compares a lifted any with a wanted value, integers by value.
func sameScalar(got, want any) bool {
	switch w := want.(type) {
	case int64:
		switch g := got.(type) {
		case int8:
			return int64(g) == w
		case int16:
			return int64(g) == w
		case int32:
			return int64(g) == w
		case int64:
			return g == w
		case uint8:
			return int64(g) == w
		case uint16:
			return int64(g) == w
		case uint32:
			return int64(g) == w
		case uint64:
			return int64(g) == w
		}
		return false
	}
	return got == want
}

// TestGeneratedCodeBuilds feeds virgil-gen functions whose names or shapes need care. For each,
// virgil-gen must either refuse it with an error or generate code that builds: never accept it
// and write a file the Go or C compiler then rejects.
func TestGeneratedCodeBuilds(t *testing.T) {
	requireCgo(t)
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"variadic", map[string]string{"main.go": `package main

// Sum adds its arguments.
//
//virgil:export
func Sum(xs ...int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func main() {}
`}},
		{"symbol init", map[string]string{"main.go": `package main

// Init initializes the library.
//
//virgil:export
func Init() error { return nil }

func main() {}
`}},
		{"symbol shadows an import", map[string]string{
			"main.go": `package main

import "time"

// Time returns the time in seconds.
//
//virgil:export
func Time() int64 { return time.Now().Unix() }

func main() {}
`}},
		{"symbol shadows a builtin", map[string]string{"main.go": `package main

// Max returns the larger of a and b.
//
//virgil:export
func Max(a, b int) int { return max(a, b) }

func main() {}
`}},
		{"symbol is a Go keyword", map[string]string{"main.go": `package main

// Type returns the type of v.
//
//virgil:export
func Type(v any) string { return "" }

func main() {}
`}},
		{"symbol is a C keyword", map[string]string{"main.go": `package main

// Double returns 2x.
//
//virgil:export
func Double(x float64) float64 { return 2 * x }

func main() {}
`}},
		{"symbol is a C library function", map[string]string{"main.go": `package main

// Free releases everything.
//
//virgil:export
func Free() {}

func main() {}
`}},
		{"symbol shadows a generated import", map[string]string{"main.go": `package main

// Guest names the guest.
//
//virgil:export
func Guest() string { return "me" }

func main() {}
`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := guestDir(t, tt.files)
			if err := run(dir, "virgil_exports.go"); err != nil {
				t.Logf("refused: %v", firstLine(err.Error()))
				return
			}
			if _, err := buildShared(t, dir); err != nil {
				t.Errorf("virgil-gen accepted the package but the generated code does not build:\n%v", err)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
