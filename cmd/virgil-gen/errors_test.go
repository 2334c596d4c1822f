package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePackage writes files (name -> source) into a new temporary directory and returns it.
func writePackage(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// parseAndGenerate runs both steps of virgil-gen on dir, returning the first error.
func parseAndGenerate(dir string) ([]byte, error) {
	pkg, err := parsePackage(dir, "virgil_exports.go")
	if err != nil {
		return nil, err
	}
	return generate(pkg)
}

// TestErrors checks that virgil-gen refuses bad input with a clear message naming the place.
// DIR in a wanted message stands for the package's directory.
func TestErrors(t *testing.T) {
	const head = "package main\n\nfunc main() {}\n\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"symbol collides with a Go function",
			map[string]string{"main.go": head + "//virgil:export\nfunc Add(a, b int) int { return a + b }\n\nfunc add() {}\n"},
			`DIR/main.go:6:1: symbol "add" collides with a Go name in package main; rename the Go function or give //virgil:export another symbol`},
		{"symbol collides with a Go variable",
			map[string]string{"main.go": head + "var greet = 1\n\n//virgil:export\nfunc Greet() {}\n"},
			`DIR/main.go:8:1: symbol "greet" collides with a Go name in package main; rename the Go function or give //virgil:export another symbol`},
		{"symbol collides with a Go type in another file",
			map[string]string{
				"main.go":  head + "//virgil:export\nfunc Stats() {}\n",
				"types.go": "package main\n\ntype stats struct{}\n",
			},
			`DIR/main.go:6:1: symbol "stats" collides with a Go name in package main; rename the Go function or give //virgil:export another symbol`},
		{"symbol collides with the function itself",
			map[string]string{"main.go": head + "//virgil:export add\nfunc add(a, b int) int { return a + b }\n"},
			`DIR/main.go:6:1: symbol "add" collides with a Go name in package main; rename the Go function or give //virgil:export another symbol`},
		{"symbol collides with main",
			map[string]string{"main.go": head + "//virgil:export main\nfunc Run() {}\n"},
			`DIR/main.go:6:1: symbol "main" is a special Go function name; rename the Go function or give //virgil:export another symbol`},
		{"duplicate symbol",
			map[string]string{"main.go": head + "//virgil:export sum\nfunc Add() {}\n\n//virgil:export sum\nfunc Plus() {}\n"},
			`DIR/main.go:9:1: symbol "sum" is also exported by Add`},
		{"duplicate symbol from two names",
			map[string]string{"main.go": head + "//virgil:export\nfunc EchoBytes() {}\n\n//virgil:export echo_bytes\nfunc Echo() {}\n"},
			`DIR/main.go:9:1: symbol "echo_bytes" is also exported by EchoBytes`},
		{"duplicate directive",
			map[string]string{"main.go": head + "//virgil:export\n//virgil:export\nfunc Add() {}\n"},
			`DIR/main.go:7:1: symbol "add" is also exported by Add`},
		{"reserved prefix",
			map[string]string{"main.go": head + "//virgil:export virgil_version\nfunc Version() string { return \"\" }\n"},
			`DIR/main.go:6:1: symbol "virgil_version": names starting with virgil_ are reserved for the ABI`},
		{"reserved prefix from a Go name",
			map[string]string{"main.go": head + "//virgil:export\nfunc VirgilManifest() {}\n"},
			`DIR/main.go:6:1: symbol "virgil_manifest": names starting with virgil_ are reserved for the ABI`},
		{"invalid C identifier/dash",
			map[string]string{"main.go": head + "//virgil:export my-add\nfunc Add() {}\n"},
			`DIR/main.go:6:1: symbol "my-add" is not a C identifier`},
		{"invalid C identifier/digit first",
			map[string]string{"main.go": head + "//virgil:export 2add\nfunc Add() {}\n"},
			`DIR/main.go:6:1: symbol "2add" is not a C identifier`},
		{"invalid C identifier/non-ASCII",
			map[string]string{"main.go": head + "//virgil:export\nfunc Größe() {}\n"},
			`DIR/main.go:6:1: symbol "größe" is not a C identifier`},
		{"too many symbols",
			map[string]string{"main.go": head + "//virgil:export add plus\nfunc Add() {}\n"},
			`DIR/main.go:6:1: want //virgil:export [symbol]`},
		{"method",
			map[string]string{"main.go": head + "type T struct{}\n\n//virgil:export\nfunc (T) Add() {}\n"},
			`DIR/main.go:8:1: //virgil:export needs a plain function, not a method or generic function`},
		{"generic function",
			map[string]string{"main.go": head + "//virgil:export\nfunc Echo[T any](v T) T { return v }\n"},
			`DIR/main.go:6:1: //virgil:export needs a plain function, not a method or generic function`},
		{"bad result shape/two values",
			map[string]string{"main.go": head + "//virgil:export\nfunc Pair() (int, int) { return 0, 0 }\n"},
			`DIR/main.go:6:1: Pair: results must be (), (R), (error) or (R, error)`},
		{"bad result shape/named",
			map[string]string{"main.go": head + "//virgil:export\nfunc Pair() (a, b int) { return 0, 0 }\n"},
			`DIR/main.go:6:1: Pair: results must be (), (R), (error) or (R, error)`},
		{"bad result shape/error first",
			map[string]string{"main.go": head + "//virgil:export\nfunc F() (error, int) { return nil, 0 }\n"},
			`DIR/main.go:6:1: F: results must be (), (R), (error) or (R, error)`},
		{"bad result shape/three",
			map[string]string{"main.go": head + "//virgil:export\nfunc F() (int, string, error) { return 0, \"\", nil }\n"},
			`DIR/main.go:6:1: F: results must be (), (R), (error) or (R, error)`},
		{"no exports",
			map[string]string{"main.go": head + "// Add is not marked.\nfunc Add() {}\n"},
			`package main has no function marked //virgil:export`},
		{"no exports/directive not in a doc comment",
			map[string]string{"main.go": head + "//virgil:export\n\nfunc Add() {}\n"},
			`package main has no function marked //virgil:export`},
		{"bad library/no name",
			map[string]string{"main.go": "//virgil:library\n" + head + "//virgil:export\nfunc Add() {}\n"},
			`DIR/main.go:1:1: want //virgil:library name [version]`},
		{"bad library/too many words",
			map[string]string{"main.go": "//virgil:library conformance 1.0.0 extra\n" + head + "//virgil:export\nfunc Add() {}\n"},
			`DIR/main.go:1:1: want //virgil:library name [version]`},
		{"syntax error",
			map[string]string{"main.go": head + "func Add( {}\n"},
			`DIR/main.go:5:11: expected ')', found '{'`},
		{"no Go files",
			map[string]string{"README.md": "nothing here\n"},
			`no Go files in DIR`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writePackage(t, tt.files)
			src, err := parseAndGenerate(dir)
			if err == nil {
				t.Fatalf("no error; generated:\n%s", src)
			}
			if got := strings.ReplaceAll(err.Error(), dir, "DIR"); got != tt.want {
				t.Errorf("error\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestDirectives checks directive parsing details that are not errors.
func TestDirectives(t *testing.T) {
	const head = "package main\n\nfunc main() {}\n\n"
	tests := []struct {
		name             string
		files            map[string]string
		library, version string
		symbols          string // the exported symbols, space separated
	}{
		{"library without version",
			map[string]string{"main.go": "//virgil:library solo\n" + head + "//virgil:export\nfunc Add() {}\n"},
			"solo", "0.0.0", "add"},
		{"library in a later comment",
			map[string]string{"main.go": head + "//virgil:export\nfunc Add() {}\n\n// The library:\n//virgil:library later 3.0\n"},
			"later", "3.0", "add"},
		{"tab separated",
			map[string]string{"main.go": "//virgil:library\ttabbed\t1.2.3\n" + head + "//virgil:export\tplus\nfunc Add() {}\n"},
			"tabbed", "1.2.3", "plus"},
		{"look-alike directives ignored",
			map[string]string{"main.go": "//virgil:libraryX nope\n" + head + "//virgil:exported\n//virgil:export\nfunc Add() {}\n\n// virgil:export\nfunc Sub() {}\n"},
			"", "", "add"},
		{"test files ignored",
			map[string]string{
				"main.go":      head + "//virgil:export\nfunc Add() {}\n",
				"main_test.go": "package main\n\n//virgil:export\nfunc Sub() {}\n",
			},
			"", "", "add"},
		{"previous output ignored",
			map[string]string{
				"main.go":           head + "//virgil:export\nfunc Add() {}\n",
				"virgil_exports.go": "package main\n\nfunc add() {}\n",
			},
			"", "", "add"},
		{"sorted by symbol",
			map[string]string{"main.go": head + "//virgil:export zeta\nfunc A() {}\n\n//virgil:export\nfunc B() {}\n\n//virgil:export alpha\nfunc C() {}\n"},
			"", "", "alpha b zeta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writePackage(t, tt.files)
			pkg, err := parsePackage(dir, "virgil_exports.go")
			if err != nil {
				t.Fatal(err)
			}
			library := tt.library
			if library == "" {
				library = filepath.Base(dir)
			}
			if pkg.library != library || pkg.version != tt.version {
				t.Errorf("library %q %q, want %q %q", pkg.library, pkg.version, library, tt.version)
			}
			var symbols []string
			for _, e := range pkg.exports {
				symbols = append(symbols, e.symbol)
			}
			if got := strings.Join(symbols, " "); got != tt.symbols {
				t.Errorf("symbols %q, want %q", got, tt.symbols)
			}
			if _, err := generate(pkg); err != nil {
				t.Errorf("generate: %v", err)
			}
		})
	}
}
