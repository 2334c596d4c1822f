package host_test

import (
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
