// Command go-host is a small Go service of the kind Virgil is for: it loads Virgil libraries
// written in other languages (here the conformance library built in Go and in C), calls them
// like Go functions, and shows what a failure inside a library looks like from Go.
//
// It builds with CGO_ENABLED=0: the host needs no C compiler. Run it through the Makefile,
// which builds the libraries first:
//
//	make demo
//
// or by hand:
//
//	go run ./examples/go-host build/libconformance_go.so build/libconformance_c.so
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
)

// Summary is what the libraries' stats function returns; its fields match by msgpack tag.
type Summary struct {
	Count int     `msgpack:"count"`
	Mean  float64 `msgpack:"mean"`
	Min   float64 `msgpack:"min"`
	Max   float64 `msgpack:"max"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go-host LIBRARY.so...")
		os.Exit(2)
	}
	for _, path := range os.Args[1:] {
		if err := demo(os.Stdout, path); err != nil {
			fmt.Fprintln(os.Stderr, "go-host:", err)
			os.Exit(1)
		}
	}
}

// demo loads the library at path and writes what it does to w.
func demo(w io.Writer, path string) error {
	lib, err := host.Open(path)
	if err != nil {
		return err
	}
	defer lib.Close()
	if m := lib.Manifest(); m != nil {
		fmt.Fprintf(w, "== %s %s, written in %s (%s)\n", m.Library, m.Version, m.Language, path)
	}

	// A typed binding: the call site reads like an ordinary Go call.
	add, err := host.Func2[int, int, int](lib, "add")
	if err != nil {
		return err
	}
	sum, err := add(40, 2)
	fmt.Fprintf(w, "add(40, 2)        = %d %v\n", sum, errOrEmpty(err))

	// Binding a function variable by reflection works for any signature.
	var stats func(xs []float64) (Summary, error)
	if err := lib.Bind("stats", &stats); err != nil {
		return err
	}
	s, err := stats([]float64{3, 1, 4, 1, 5, 9, 2, 6})
	fmt.Fprintf(w, "stats(...)        = %+v %v\n", s, errOrEmpty(err))

	// Or call by name.
	var greeting string
	err = lib.Call("greet", &greeting, "Gopher")
	fmt.Fprintf(w, "greet(\"Gopher\")   = %q %v\n", greeting, errOrEmpty(err))

	// Failures come back as *exceptions.Exception, with the guest's name, message and frames.
	var q float64
	err = lib.Call("divide", &q, 1.0, 0.0)
	var x *exceptions.Exception
	if errors.As(err, &x) {
		fmt.Fprintf(w, "divide(1, 0)      -> %s (%s, raised in %s)\n", x.Name, x.Message, x.Language)
	}

	// A panic or crash in the library does not take the service down.
	err = lib.Call("crash", nil)
	if errors.As(err, &x) {
		fmt.Fprintf(w, "crash()           -> %s: %v\n", x.Name, err)
	}

	// A library's standard errors are Go's own: a missing file is fs.ErrNotExist, whatever the
	// library is written in, with its errno and path.
	var config []byte
	err = lib.Call("load_config", &config, "/etc/virgil-demo/missing.toml")
	var pathErr *fs.PathError
	if errors.As(err, &x) && errors.As(err, &pathErr) {
		fmt.Fprintf(w, "load_config(...)  -> %s, errors.Is(err, fs.ErrNotExist) = %v, path %s\n    %v\n",
			x.Name, errors.Is(err, fs.ErrNotExist), pathErr.Path, err)
	}

	// A chain of causes, printed as a traceback with every level and the frames of each.
	err = lib.Call("fail_chain", nil, 3)
	fmt.Fprintf(w, "fail_chain(3)     -> %v\n\n%+v\n\n", err, err)
	return nil
}

func errOrEmpty(err error) string {
	if err != nil {
		return "(error: " + err.Error() + ")"
	}
	return ""
}
