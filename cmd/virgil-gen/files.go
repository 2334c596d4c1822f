package main

import (
	"errors"
	"fmt"
	"go/build"
	"path/filepath"
	"slices"
)

// buildFiles lists the paths of the Go files in dir that go build would compile for the current
// GOOS, GOARCH and build tags, in name order: files excluded by a //go:build line or by a
// _windows.go-style name are left out, and so are tests and the generated file. Cgo is taken as
// enabled whatever CGO_ENABLED says, since the guest is built with cgo (its exports need it).
func buildFiles(dir, generated string) ([]string, error) {
	ctxt := build.Default
	ctxt.CgoEnabled = true
	p, err := ctxt.ImportDir(dir, 0)
	if _, none := errors.AsType[*build.NoGoError](err); none {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, name := range slices.Sorted(slices.Values(slices.Concat(p.GoFiles, p.CgoFiles))) {
		if name != generated {
			paths = append(paths, filepath.Join(dir, name))
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	return paths, nil
}
