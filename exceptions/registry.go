package exceptions

import (
	"fmt"
	"reflect"
	"sync"
)

// registry maps Go sentinels and error types to exception names.
type registry struct {
	mu        sync.RWMutex
	sentinels map[error]string
	types     map[reflect.Type]string
}

var names = newRegistry()

func newRegistry() *registry {
	return &registry{sentinels: map[error]string{}, types: map[reflect.Type]string{}}
}

// Register gives the sentinel error value the exception name name, in both
// directions: [From] names a level that is the sentinel itself (==) name,
// and an Exception named name satisfies errors.Is(e, sentinel), also when it
// was decoded from a record that came from another language or process.
// Several sentinels may share a name; registering a sentinel again replaces
// its name.
//
// The standard library's sentinels cross under the standard names of
// cabi/ABI.md section 7.1 without registration: fs.ErrNotExist is
// FileNotFoundError, context.DeadlineExceeded TimeoutError, io.EOF
// EOFError, and so on. Registering one of them again gives it another name.
//
// Register panics when sentinel is nil or not comparable or name is empty,
// which are programming errors. It is safe for concurrent use.
func Register(sentinel error, name string) {
	if sentinel == nil || name == "" {
		panic("exceptions: Register needs a non-nil sentinel and a non-empty name")
	}
	if !reflect.TypeOf(sentinel).Comparable() {
		panic(fmt.Sprintf("exceptions: Register: sentinel of type %T is not comparable", sentinel))
	}
	names.mu.Lock()
	defer names.mu.Unlock()
	names.sentinels[sentinel] = name
}

// RegisterType gives every error of example's dynamic type the exception
// name name when [From] converts it (unless the error has an
// ExceptionName method or is a registered sentinel, which win). Only the
// type of example matters, not its value.
//
// RegisterType panics when example is nil or name is empty. It is safe for
// concurrent use.
func RegisterType(example error, name string) {
	if example == nil || name == "" {
		panic("exceptions: RegisterType needs a non-nil example and a non-empty name")
	}
	names.mu.Lock()
	defer names.mu.Unlock()
	names.types[reflect.TypeOf(example)] = name
}

// sentinelName returns the name err is registered under as a sentinel.
func sentinelName(err error) (name string, ok bool) {
	defer func() {
		// A map lookup panics when err's dynamic type is comparable in
		// principle but holds an incomparable value (an interface field
		// holding a slice, say); such an error is no sentinel.
		if recover() != nil {
			name, ok = "", false
		}
	}()
	name, ok = names.sentinel(err)
	if !ok {
		name, ok = standardSentinels[err]
	}
	return name, ok
}

// namingSentinelName returns the standard name of a sentinel that is named
// one way only (strconv.ErrSyntax is ValueError, but a ValueError is no
// strconv.ErrSyntax).
func namingSentinelName(err error) (name string, ok bool) {
	defer func() {
		if recover() != nil {
			name, ok = "", false
		}
	}()
	name, ok = namingSentinels[err]
	return name, ok
}

// typeName returns the name err's dynamic type is registered under.
func typeName(err error) (string, bool) {
	names.mu.RLock()
	defer names.mu.RUnlock()
	name, ok := names.types[reflect.TypeOf(err)]
	return name, ok
}

// sentinel looks err up among the registered sentinels; it may panic on an
// incomparable value, after releasing the lock.
func (r *registry) sentinel(err error) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	name, ok := r.sentinels[err]
	return name, ok
}
