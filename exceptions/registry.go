package exceptions

import (
	"context"
	"fmt"
	"io"
	"os"
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
	r := &registry{sentinels: map[error]string{}, types: map[reflect.Type]string{}}
	for sentinel, name := range map[error]string{
		io.EOF:                   "io.EOF",
		io.ErrUnexpectedEOF:      "io.ErrUnexpectedEOF",
		context.Canceled:         "context.Canceled",
		context.DeadlineExceeded: "context.DeadlineExceeded",
		os.ErrNotExist:           "os.ErrNotExist",
		os.ErrExist:              "os.ErrExist",
		os.ErrPermission:         "os.ErrPermission",
	} {
		r.sentinels[sentinel] = name
	}
	return r
}

// Register gives the sentinel error value the exception name name, in both
// directions: [From] names a level that is the sentinel itself (==) name,
// and an Exception named name satisfies errors.Is(e, sentinel), also when it
// was decoded from a record that came from another language or process.
// Several sentinels may share a name; registering a sentinel again replaces
// its name.
//
// io.EOF, io.ErrUnexpectedEOF, context.Canceled, context.DeadlineExceeded,
// os.ErrNotExist, os.ErrExist and os.ErrPermission are registered under
// their Go names ("io.EOF", ...) from the start.
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
	names.mu.RLock()
	defer names.mu.RUnlock()
	name, ok = names.sentinels[err]
	return name, ok
}

// typeName returns the name err's dynamic type is registered under.
func typeName(err error) (string, bool) {
	names.mu.RLock()
	defer names.mu.RUnlock()
	name, ok := names.types[reflect.TypeOf(err)]
	return name, ok
}
