// Command virgil-gen writes virgil_exports.go for a Go guest package: one C symbol per function
// marked //virgil:export, each registered with package guest.
//
// Run it with go generate from the guest package's directory:
//
//	//go:generate go run github.com/virgilffi/virgil/cmd/virgil-gen
//
// Directives, in doc comments:
//
//	//virgil:export [symbol]          on a function: export it, under symbol or the snake_case
//	                                  of its name (Add -> add, EchoBytes -> echo_bytes)
//	//virgil:library name [version]   anywhere in a file: the manifest's library name and version
//
// An exported function takes any parameters the codec can lift and returns (), (R), (error) or
// (R, error). virgil-gen checks that every symbol is a valid C identifier, unique, not reserved
// (virgil_*) and not already a name in the package.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", ".", "the guest package's directory")
	out := flag.String("o", "virgil_exports.go", "the file to write, relative to -dir")
	flag.Parse()
	if err := run(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "virgil-gen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	pkg, err := parsePackage(dir, out)
	if err != nil {
		return err
	}
	src, err := generate(pkg)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, out), src, 0o644)
}
