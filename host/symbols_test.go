package host_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// dlsym also finds the symbols of a library's dependencies and the ABI's own allocator; calling
// them with the ABI's signature would crash the process, so the host refuses them.
func TestOnlyTheLibrarysOwnFunctionsAreCallable(t *testing.T) {
	noManifest := open(t, testlibs.CLibrary(t, "nomanifest", "host/testdata/nomanifest.c"))
	if err := noManifest.Call("nothing", nil); err != nil {
		t.Fatalf("a function the library defines: %v", err)
	}
	withManifest := open(t, testlibs.GoGuest(t))
	for _, tc := range []struct {
		lib            *host.Library
		function, want string
	}{
		{noManifest, "puts", "not defined by the library itself"},
		{noManifest, "virgil_realloc", "part of the ABI"},
		{withManifest, "puts", "not in its manifest"},
		{withManifest, "fatalf", "not in its manifest"}, // exported by Go's runtime/cgo
		{withManifest, "virgil_realloc", "part of the ABI"},
	} {
		x := exceptionOf(t, tc.lib.Call(tc.function, nil), exceptions.UnknownFunction)
		if !strings.Contains(x.Message, tc.want) {
			t.Errorf("%s: %q, want it to say %q", tc.function, x.Message, tc.want)
		}
	}
	if _, err := withManifest.Stats(); err != nil {
		t.Fatalf("virgil_stats must stay callable: %v", err)
	}
}

// A bare file name means the file in the working directory, as it does for os.Open, when there
// is one; dlopen alone would search only the system's library paths.
func TestOpenBareFileName(t *testing.T) {
	path := testlibs.CGuest(t)
	t.Chdir(filepath.Dir(path))
	lib, err := host.Open(filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := lib.Call("add", &sum, 1, 2); err != nil || sum != 3 {
		t.Fatal(sum, err)
	}
	if _, err := host.Open("libvirgil-no-such-library.so"); err == nil || !strings.Contains(err.Error(), "libvirgil-no-such-library.so") {
		t.Fatalf("a bare name found nowhere: %v", err)
	}
	if _, err := os.Stat(lib.Path()); err != nil {
		t.Fatalf("Path() %q: %v", lib.Path(), err)
	}
}
