package main

import (
	"strings"
	"testing"

	"github.com/virgilffi/virgil/internal/testlibs"
)

func TestMain(m *testing.M) { testlibs.Main(m) }

// The demo shows results, a guest exception and a cross-language traceback for every guest.
func TestDemo(t *testing.T) {
	for language, build := range testlibs.ConformanceGuests() {
		t.Run(language, func(t *testing.T) {
			var out strings.Builder
			if err := demo(&out, build(t)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "crash()           -> virgil.Panic") && !strings.Contains(out.String(), "crash()           -> ErrorCall") {
				t.Errorf("crash() must come back as virgil.Panic or ErrorCall:\n%s", out.String())
			}
			for _, want := range []string{
				"written in " + language,
				"add(40, 2)        = 42",
				"Mean:3.875",
				`"Hello, Gopher!"`,
				"ZeroDivisionError (division by zero, raised in " + language + ")",
				"crash()           -> ",
				"load_config(...)  -> FileNotFoundError, errors.Is(err, fs.ErrNotExist) = true, path /etc/virgil-demo/missing.toml\n    load config: ",
				"ChainLevel1: level 1\n",
				"The above exception was the direct cause of the following exception",
				"[" + language + "]",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("the demo's output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}
