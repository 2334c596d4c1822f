package readme

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/virgilffi/virgil/host"
)

// producers make the outputs of output-of-test blocks: what the README shows of a program the
// test itself runs.
var producers = map[string]func(*testing.T, *sandbox) string{
	"mathlib divide(1, 0)": mathlibDivide,
}

// mathlibDivide loads the library the README's Go guest example builds (its go-file and sh-run
// blocks, in the sandbox's mathlib directory) into this process, a Go host, and calls
// divide(1, 0); the README shows the error's %+v.
func mathlibDivide(t *testing.T, s *sandbox) string {
	path := filepath.Join(s.root, "mathlib", "libmathlib.so")
	if !fileExists(path) {
		t.Skipf("skipping: %s was not built (see the sh-run block above)", path)
	}
	lib, err := host.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := lib.Manifest(); m == nil || m.Library != "mathlib" || m.Version != "1.0.0" {
		t.Errorf("the manifest is %+v, want library mathlib 1.0.0", m)
	}
	var q float64
	if err := lib.Call("divide", &q, 6.0, 4.0); err != nil || q != 1.5 {
		t.Errorf("divide(6, 4) = %v, %v; want 1.5", q, err)
	}
	err = lib.Call("divide", &q, 1.0, 0.0)
	if err == nil {
		t.Fatal("divide(1, 0) did not fail")
	}
	return fmt.Sprintf("%v\n%+v\n", err, err)
}
