package exceptions

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// recoverFrom runs f and converts its panic, as a guest's entry point does.
func recoverFrom(f func()) (exc *Exception) {
	defer func() {
		exc = FromPanic(recover())
	}()
	f()
	return nil
}

func panicNilMap() {
	var m map[string]int
	m["x"] = 1
}

func panicNilPointer() {
	var p *struct{ n int }
	p.n = 1
}

func panicBoom() { panic("boom") }

func panicError() { panic(fmt.Errorf("bad state: %w", io.ErrUnexpectedEOF)) }

func panicException() { panic(New("ValueError", "no")) }

func TestFromPanic(t *testing.T) {
	for _, tc := range []struct {
		f        func()
		function string
		message  string
		cause    []string // names of the cause chain
	}{
		{panicNilMap, "panicNilMap", "assignment to entry in nil map", nil},
		{panicNilPointer, "panicNilPointer", "runtime error: invalid memory address or nil pointer dereference", nil},
		{panicBoom, "panicBoom", "boom", nil},
		{panicError, "panicError", "bad state: unexpected EOF", []string{"EOFError", "EOFError"}},
		{panicException, "panicException", "no", []string{"ValueError"}},
	} {
		t.Run(tc.function, func(t *testing.T) {
			e := recoverFrom(tc.f)
			if e == nil {
				t.Fatal("no exception")
			}
			if e.Name != Panic || e.Message != tc.message || e.Language != Language {
				t.Errorf("got %q %q %q", e.Name, e.Message, e.Language)
			}
			if got := lastFunction(e.Traceback); got != pkgPath+"."+tc.function {
				t.Errorf("last frame %q, want %s", got, tc.function)
			}
			for _, f := range e.Traceback {
				if isRuntimeFrame(f.Function) || f.Function == pkgPath+".FromPanic" ||
					strings.Contains(f.Function, "recoverFrom.func") || strings.HasSuffix(f.Function, ".func1.1") {
					t.Errorf("panic machinery frame %q in the traceback", f.Function)
				}
			}
			var names []string
			for x := e.Cause; x != nil; x = x.Cause {
				names = append(names, x.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(tc.cause) {
				t.Errorf("causes %v, want %v", names, tc.cause)
			}
		})
	}
}

func TestFromPanicCauseIdentity(t *testing.T) {
	e := recoverFrom(panicError)
	if !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Error("errors.Is(panic exception, io.ErrUnexpectedEOF) is false")
	}
	if e.Cause.Traceback != nil {
		t.Errorf("the panic value's level repeats the panicking frames: %v", e.Cause.Traceback)
	}
}

func TestFromPanicNil(t *testing.T) {
	if FromPanic(nil) != nil {
		t.Error("FromPanic(nil) is not nil")
	}
	// Outside a panic, the traceback ends at the caller.
	e := FromPanic("not panicking")
	if got := lastFunction(e.Traceback); got != pkgPath+".TestFromPanicNil" {
		t.Errorf("last frame %q", got)
	}
}
