package guest

import (
	"slices"
	"strings"
	"sync"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// ABIVersion is the version of the ABI this package implements.
const ABIVersion = 1

var registry = struct {
	sync.Mutex
	library, version string
	functions        []*uncurry.Function
}{library: "go-guest", version: "0.0.0"}

// Library sets the name and version the manifest reports. Generated code calls it for a
// //virgil:library directive; it returns true so it can initialize a package variable.
func Library(name, version string) bool {
	registry.Lock()
	defer registry.Unlock()
	registry.library, registry.version = name, version
	return true
}

// Export registers f for the manifest and returns it, for generated code:
//
//	var virgilAdd = guest.Export(uncurry.Func2("add", Add).WithParams("a", "b"))
func Export(f *uncurry.Function) *uncurry.Function {
	registry.Lock()
	defer registry.Unlock()
	registry.functions = append(registry.functions, f)
	return f
}

// MustAdapt adapts fn by reflection (for functions of more than three parameters) and panics at
// initialization when fn cannot be adapted, which virgil-gen rules out.
func MustAdapt(name string, fn any) *uncurry.Function {
	f, err := uncurry.Adapt(name, fn)
	if err != nil {
		panic(err)
	}
	return f
}

// CurrentManifest returns the manifest of the functions exported so far, sorted by name.
func CurrentManifest() uncurry.Manifest {
	registry.Lock()
	defer registry.Unlock()
	fs := slices.Clone(registry.functions)
	slices.SortFunc(fs, func(a, b *uncurry.Function) int { return strings.Compare(a.Name, b.Name) })
	return uncurry.Manifest{ABI: ABIVersion, Library: registry.library, Language: exceptions.Language, Version: registry.version, Functions: fs, Borrow: true}
}

// replyWith is a Handler that ignores its arguments and replies {"ok": v}.
func replyWith(v func() any) uncurry.Handler {
	return func(w uncurry.ReplyWriter, _ []byte) {
		if err := codec.NewEncoder(w).EncodeOK(v()); err != nil {
			w.Discard()
			codec.NewEncoder(w).EncodeError(exceptions.Newf(exceptions.InternalError, "encoding the reply: %v", err))
		}
	}
}

var (
	manifestHandler = replyWith(func() any { return CurrentManifest() })
	statsHandler    = replyWith(func() any { return ReadStats() })
)
