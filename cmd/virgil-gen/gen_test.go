package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestSnakeCase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Add", "add"},
		{"add", "add"},
		{"EchoBytes", "echo_bytes"},
		{"HTTPGet", "http_get"},
		{"SleepMs", "sleep_ms"},
		{"FailChain", "fail_chain"},
		{"ID", "id"},
		{"A", "a"},
		{"Utf8Len", "utf8_len"},
		{"MD5Sum", "md5_sum"},
		{"GetHTTPResponseCode", "get_http_response_code"},
		{"XMLHttpRequest", "xml_http_request"},
		{"NewID", "new_id"},
		{"getX", "get_x"},
		{"V2", "v2"},
		{"Base64Encode", "base64_encode"},
		{"Already_Snake", "already_snake"},
		{"_Private", "_private"},
		{"X", "x"},
		// Oddities, pinned: an acronym followed by a lowercase letter that belongs to it (a plural,
		// "IPv4"), and a digit before a capital, are split where a person would not.
		{"IDs", "ids"},
		{"IPv4Addr", "i_pv4_addr"},
		{"OAuth2Token", "o_auth2_token"},
		{"Go2C", "go2_c"},
		// Non-ASCII letters pass through; check() then rejects the symbol as no C identifier.
		{"Größe", "größe"},
	}
	for _, tt := range tests {
		if got := snakeCase(tt.in); got != tt.want {
			t.Errorf("snakeCase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestGolden runs each fixture package under testdata through parsePackage and generate and
// compares the result with its virgil_exports.go.golden. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	for _, name := range []string{"shapes", "nolibrary"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			pkg, err := parsePackage(dir, "virgil_exports.go")
			if err != nil {
				t.Fatal(err)
			}
			got, err := generate(pkg)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(dir, "virgil_exports.go.golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("generated code differs from %s (run go test -update ./cmd/virgil-gen if the change is intended)\n%s",
					golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// TestParseShapes checks what parsePackage learns from the shapes fixture.
func TestParseShapes(t *testing.T) {
	pkg, err := parsePackage(filepath.Join("testdata", "shapes"), "virgil_exports.go")
	if err != nil {
		t.Fatal(err)
	}
	if pkg.name != "main" || pkg.library != "shapes" || pkg.version != "2.1.0" {
		t.Errorf("package %q, library %q %q", pkg.name, pkg.library, pkg.version)
	}
	type summary struct {
		goName, symbol, adapter, params, doc string
	}
	want := []summary{
		{"Add", "add", "Func", "a b", "Add returns a + b."},
		{"Check", "check", "ProcE", "n", "Check fails when n is negative."},
		{"Clamp", "clamp", "Func", "x lo hi", "Clamp limits x to [lo, hi]."},
		{"Describe", "describe", "FuncE", "name age tags score active", "Describe has five parameters and an error."},
		{"Divide", "divide", "FuncE", "a b", "Divide returns a / b; named results are fine."},
		{"Explode", "explode", "Proc", "", "Explode panics with a runtime error."},
		{"Greet", "greet", "Func", "name", "Greet greets."},
		{"HTTPGet", "http_get", "FuncE", "url", "HTTPGet is snake_cased to http_get."},
		{"Join", "join_words", "Func", "sep words", "Join has a symbol of its own.\nIts doc comment has two lines."},
		{"Now", "now", "Func", "", "Now returns the time; it lives in a second file."},
		{"Pair", "pair", "Func", "arg1 arg2", "Pair has unnamed parameters."},
		{"secretSum", "secret_sum", "Func", "xs", "secretSum is unexported and exported under an explicit symbol."},
		{"Store", "store", "ProcE", "key value overwrite", "Store pretends to store value under key."},
		{"Touch", "touch", "Proc", "", "Touch does nothing and returns nothing."},
		{"Volume", "volume", "Func", "w h d unit", "Volume has four parameters, so it is adapted by reflection."},
	}
	var got []summary
	for _, e := range pkg.exports {
		got = append(got, summary{e.goName, e.symbol, e.shape + e.errSuffix, strings.Join(e.params, " "), e.doc})
		if !strings.Contains(e.position, filepath.Join("testdata", "shapes")) {
			t.Errorf("%s: position %q", e.goName, e.position)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d exports, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("export %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	for _, name := range []string{"Add", "Counter", "Identity", "ValueError", "Profile", "main", "secretSum"} {
		if !pkg.topLevel[name] {
			t.Errorf("top-level name %s not recorded", name)
		}
	}
	if pkg.topLevel["Count"] {
		t.Error("a method was recorded as a top-level name")
	}
}

// TestExamplesUpToDate regenerates examples/go-guest/virgil_exports.go in memory and compares it
// with the committed file.
func TestExamplesUpToDate(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "go-guest")
	pkg, err := parsePackage(dir, "virgil_exports.go")
	if err != nil {
		t.Fatal(err)
	}
	got, err := generate(pkg)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "virgil_exports.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("examples/go-guest/virgil_exports.go is out of date: run go generate ./examples/go-guest\n%s",
			lineDiff(string(want), string(got)))
	}
}

// TestRun checks the command's file handling: it writes the -o file into -dir, and does not read
// a previous generated file (which would make every symbol collide with itself).
func TestRun(t *testing.T) {
	dir := t.TempDir()
	src := "//virgil:library demo 0.1.0\npackage main\n\n// Add adds.\n//\n//virgil:export\nfunc Add(a, b int) int { return a + b }\n\nfunc main() {}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run must ignore the file the first one wrote
		if err := run(dir, "exports_gen.go"); err != nil {
			t.Fatal(err)
		}
	}
	out, err := os.ReadFile(filepath.Join(dir, "exports_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"// Code generated by virgil-gen; DO NOT EDIT.",
		`guest.Library("demo", "0.1.0")`,
		`virgilExport_add = guest.Export(uncurry.Func2("add", Add).WithParams("a", "b").WithDoc("Add adds."))`,
		"//export add\nfunc add(in, out unsafe.Pointer) { guest.Serve(virgilExport_add, in, out) }",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("generated file lacks %q:\n%s", want, out)
		}
	}
}

// lineDiff shows the first lines where want and got differ, with a little context.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "first difference at line " + strconv.Itoa(i+1) + ":\n- " + wl + "\n+ " + gl
		}
	}
	return "(no line differs)"
}
