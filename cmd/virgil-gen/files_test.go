package main

import (
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// exportSymbols lists the symbols parsePackage finds in dir.
func exportSymbols(t *testing.T, dir string) []string {
	t.Helper()
	pkg, err := parsePackage(dir, "virgil_exports.go")
	if err != nil {
		t.Fatal(err)
	}
	var symbols []string
	for _, e := range pkg.exports {
		symbols = append(symbols, e.symbol)
	}
	return symbols
}

// TestBuildConstraints: files that go build leaves out (a //go:build line that is false, a
// _GOOS.go name for another system) are not read; cgo files are.
func TestBuildConstraints(t *testing.T) {
	if got, want := exportSymbols(t, filepath.Join("testdata", "constraints")), []string{"add", "negate"}; !slices.Equal(got, want) {
		t.Errorf("constraints fixture: exports %q, want %q", got, want)
	}
	other := "windows"
	if runtime.GOOS == other {
		other = "linux"
	}
	const head = "package main\n\n"
	dir := writePackage(t, map[string]string{
		"main.go":                     head + "func main() {}\n\n//virgil:export\nfunc Add() {}\n",
		"sys_" + other + ".go":        head + "//virgil:export\nfunc Elsewhere() {}\n",
		"sys_" + runtime.GOOS + ".go": head + "//virgil:export\nfunc Here() {}\n",
		"tagged.go":                   "//go:build virgil_never_set\n\n" + head + "//virgil:export\nfunc Tagged() {}\n",
		"nocgo.go":                    "//go:build !cgo\n\n" + head + "//virgil:export\nfunc NoCgo() {}\n",
	})
	if got, want := exportSymbols(t, dir), []string{"add", "here"}; !slices.Equal(got, want) {
		t.Errorf("exports %q, want %q", got, want)
	}
}

// TestBuildConstraintsBuild generates and builds the constraints fixture as a shared library:
// an export read from an ignored file would not compile.
func TestBuildConstraintsBuild(t *testing.T) {
	requireCgo(t)
	lib := generateAndBuild(t, "constraints")
	symbols := exportedFuncs(t, lib)
	if !slices.Contains(symbols, "add") || !slices.Contains(symbols, "negate") || slices.Contains(symbols, "ignored") {
		t.Errorf("%s exports %v", lib, symbols)
	}
}

// TestNoBuildableFiles: a directory whose only Go files are left out by constraints has no Go
// files to read.
func TestNoBuildableFiles(t *testing.T) {
	dir := writePackage(t, map[string]string{"x.go": "//go:build ignore\n\npackage main\n"})
	_, err := parsePackage(dir, "virgil_exports.go")
	if err == nil || err.Error() != "no Go files in "+dir {
		t.Fatalf("error %v", err)
	}
}
