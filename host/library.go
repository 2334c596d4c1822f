package host

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// ABIVersion is the version of the ABI this host speaks.
const ABIVersion = 1

// DefaultScratchSize is the size of the scratch buffer lent to each call; replies up to this size
// cost no allocation in the guest.
const DefaultScratchSize = 16 << 10

// DefaultMaxReply is the largest reply a Library accepts unless WithMaxReply says otherwise: 1 GiB
// (cabi/ABI.md section 11). A larger reply is refused unread with virgil.LimitExceeded.
const DefaultMaxReply = 1 << 30

// ErrClosed is returned by calls on a closed Library.
var ErrClosed = errors.New("virgil: library is closed")

// Library is a loaded Virgil library. It is safe for concurrent use.
type Library struct {
	path     string
	handle   uintptr
	realloc  uintptr // the guest's virgil_realloc
	manifest *uncurry.Manifest
	funcs    atomic.Pointer[map[string]*Function] // looked up by every call, replaced (copied) to add one
	funcsMu  sync.Mutex                           // held only to add a function or to close
	states   sync.Pool
	closed   atomic.Bool
	maxReply uint64 // the largest reply accepted, in bytes
	borrowAt int    // lend []byte and string arguments of this size or more; 0 lends none
}

// Option configures Open.
type Option func(*options)

type options struct {
	scratchSize     int
	maxReply        int
	borrowThreshold int
}

// WithScratchSize sets the size of the scratch buffer lent to each call (0 lends none, so every
// reply is allocated by the guest).
func WithScratchSize(n int) Option { return func(o *options) { o.scratchSize = max(n, 0) } }

// WithMaxReply sets the largest reply, in bytes, the library's functions may give (cabi/ABI.md
// sections 2 and 11). A larger reply is an *exceptions.Exception named virgil.LimitExceeded, and
// its buffer goes back to the guest's virgil_realloc unread. It applies to every reply, the
// manifest's (read by Open) included. n <= 0 restores the default,
// DefaultMaxReply (1 GiB).
func WithMaxReply(n int) Option {
	return func(o *options) {
		if n <= 0 {
			n = DefaultMaxReply
		}
		o.maxReply = n
	}
}

// Open loads the library at path. It fails with a clear error when the file is missing or not a
// shared library, when it does not export virgil_realloc (it is not a Virgil library), and with an
// *exceptions.Exception named virgil.AbiMismatch when its manifest declares an ABI version this
// host does not speak. A library without virgil_manifest (allowed for hand-written C) is used by
// symbol lookup alone.
func Open(path string, opts ...Option) (*Library, error) {
	o := options{scratchSize: DefaultScratchSize, maxReply: DefaultMaxReply, borrowThreshold: DefaultBorrowThreshold}
	for _, opt := range opts {
		opt(&o)
	}
	path, err := resolve(path)
	if err != nil {
		return nil, err
	}
	handle, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("virgil: open library %s: %w", path, err)
	}
	l := &Library{path: path, handle: handle, maxReply: uint64(o.maxReply)}
	l.states.New = func() any { return newCallState(o.scratchSize) }
	if l.realloc, err = purego.Dlsym(handle, "virgil_realloc"); err != nil {
		return nil, fmt.Errorf("virgil: %s is not a Virgil library: it does not export virgil_realloc", path)
	}
	if err := l.loadManifest(); err != nil {
		return nil, err
	}
	if l.manifest != nil && l.manifest.Borrow {
		l.borrowAt = o.borrowThreshold
	}
	return l, nil
}

// resolve checks a library path. A path with a slash must name an existing file. A bare file
// name means the file in the working directory when there is one (dlopen alone would search only
// the system's library paths), else it is left to dlopen's search.
func resolve(path string) (string, error) {
	if !strings.Contains(path, "/") {
		if _, err := os.Stat(path); err == nil {
			return "./" + path, nil
		}
		return path, nil
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("virgil: open library: %w", err)
	}
	return path, nil
}

// loadManifest reads virgil_manifest when the library has one and checks its ABI version.
func (l *Library) loadManifest() error {
	sym, err := purego.Dlsym(l.handle, "virgil_manifest")
	if err != nil {
		return nil // optional for hand-written C guests
	}
	var m uncurry.Manifest
	f := &Function{lib: l, name: "virgil_manifest", sym: sym}
	if err := f.Call(&m); err != nil {
		return fmt.Errorf("virgil: %s: reading the manifest: %w", l.path, err)
	}
	if m.ABI != ABIVersion {
		return exceptions.Newf(exceptions.AbiMismatch, "%s speaks Virgil ABI version %d; this host speaks version %d", l.path, m.ABI, ABIVersion)
	}
	l.manifest = &m
	return nil
}

// Path returns the path the library was opened from.
func (l *Library) Path() string { return l.path }

// Manifest returns the library's manifest, or nil when it has none.
func (l *Library) Manifest() *uncurry.Manifest { return l.manifest }

// Functions lists the library's functions from its manifest (nil without one): names, parameter
// names and types, result types and documentation.
func (l *Library) Functions() []*uncurry.Function {
	if l.manifest == nil {
		return nil
	}
	return l.manifest.Functions
}

// Func returns the library's function called name. A name the library does not export gives an
// *exceptions.Exception named virgil.UnknownFunction.
func (l *Library) Func(name string) (*Function, error) {
	if m := l.funcs.Load(); m != nil {
		if f, ok := (*m)[name]; ok {
			return f, nil
		}
	}
	if l.closed.Load() {
		return nil, ErrClosed
	}
	sym, err := purego.Dlsym(l.handle, name)
	if err != nil || sym == 0 {
		return nil, exceptions.Newf(exceptions.UnknownFunction, "%s has no function %q", l.path, name)
	}
	if why := l.callable(name, sym); why != "" {
		return nil, exceptions.Newf(exceptions.UnknownFunction, "%s has no function %q: the symbol %s", l.path, name, why)
	}
	f := &Function{lib: l, name: name, sym: sym}
	if l.manifest != nil {
		f.info = l.manifest.Lookup(name)
	}
	return l.addFunc(f), nil
}

// addFunc adds f to the functions calls look up, unless one of its name is there already (then
// that one is returned): the map is copied with f added, so that lookups never lock. A closed
// library keeps its map empty.
func (l *Library) addFunc(f *Function) *Function {
	l.funcsMu.Lock()
	defer l.funcsMu.Unlock()
	m := map[string]*Function{}
	if old := l.funcs.Load(); old != nil {
		if g, ok := (*old)[f.name]; ok {
			return g
		}
		m = maps.Clone(*old)
	}
	if l.closed.Load() {
		return f
	}
	m[f.name] = f
	l.funcs.Store(&m)
	return f
}

// Call calls the function called name with args and lifts its result into result (a pointer, or
// nil to ignore the result). A guest failure is returned as an *exceptions.Exception.
func (l *Library) Call(name string, result any, args ...any) error {
	f, err := l.Func(name)
	if err != nil {
		return err
	}
	return f.Call(result, args...)
}

// Stats reads the guest's allocation counters, counting live buffers from its virgil_realloc.
// Libraries without virgil_stats give virgil.UnknownFunction.
func (l *Library) Stats() (uncurry.Stats, error) {
	var s uncurry.Stats
	return s, l.Call("virgil_stats", &s)
}

// Close stops further calls. The library stays loaded (see the package documentation); calls
// already under way finish normally.
func (l *Library) Close() error {
	l.funcsMu.Lock()
	l.closed.Store(true)
	l.funcs.Store(nil)
	l.funcsMu.Unlock()
	return nil
}

// free gives a reply buffer back to the guest's allocator.
func (l *Library) free(p unsafe.Pointer) {
	purego.SyscallN(l.realloc, uintptr(p), 0)
}
