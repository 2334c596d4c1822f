package host_test

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/conformance"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// goHost adapts a *host.Library to the conformance runner.
type goHost struct{ lib *host.Library }

func (h goHost) Call(function string, args []any) (any, error) {
	var result any
	err := h.lib.Call(function, &result, args...)
	return result, err
}

func (h goHost) CallRaw(function string, raw []byte) error {
	f, err := h.lib.Func(function)
	if err != nil {
		return err
	}
	return f.Invoke(raw, nil)
}

// TestConformance runs every case of cabi/conformance against every guest, through the Go host.
func TestConformance(t *testing.T) {
	for language, build := range testlibs.ConformanceGuests() {
		t.Run(language, func(t *testing.T) {
			lib, err := host.Open(build(t))
			if err != nil {
				t.Fatal(err)
			}
			conformance.Run(t, goHost{lib})
		})
	}
}

// TestErrorConformance runs every case of cabi/conformance/errors.json (the errors of ordinary
// code: standard names, attributes, user frames, no glue frames) against every guest, and checks
// that the Go host reads a missing file as Go's own: errors.Is(err, fs.ErrNotExist), the errno,
// and an *fs.PathError with the path.
func TestErrorConformance(t *testing.T) {
	const missing = "/nonexistent-virgil-conformance/config.toml"
	for language, build := range testlibs.ConformanceGuests() {
		t.Run(language, func(t *testing.T) {
			lib, err := host.Open(build(t))
			if err != nil {
				t.Fatal(err)
			}
			conformance.RunErrors(t, goHost{lib})
			for _, function := range []string{"read_file", "load_config"} {
				var data []byte
				err := lib.Call(function, &data, missing)
				var pathErr *fs.PathError
				switch {
				case !errors.Is(err, fs.ErrNotExist):
					t.Errorf("%s: errors.Is(err, fs.ErrNotExist) is false: %+v", function, err)
				case !errors.Is(err, syscall.ENOENT):
					t.Errorf("%s: errors.Is(err, syscall.ENOENT) is false: %+v", function, err)
				case !errors.As(err, &pathErr) || pathErr.Path != missing:
					t.Errorf("%s: errors.As(err, *fs.PathError) gives %v", function, pathErr)
				case function == "load_config" && !strings.HasPrefix(err.Error(), "load config: "):
					t.Errorf("%s: Error() %q does not read like a Go error chain", function, err.Error())
				}
			}
		})
	}
}
