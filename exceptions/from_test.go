package exceptions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	pkgerrors "github.com/pkg/errors"
)

const pkgPath = "github.com/virgilffi/virgil/exceptions"

// lastFunction is the function of the last (most recent) frame.
func lastFunction(tb []Frame) string {
	if len(tb) == 0 {
		return ""
	}
	return tb[len(tb)-1].Function
}

// checkLevels compares the names and messages of a chain, outermost first.
func checkLevels(t *testing.T, e *Exception, want ...[2]string) {
	t.Helper()
	got := levels(e)
	if len(got) != len(want) {
		t.Fatalf("%d levels, want %d: %v", len(got), len(want), e)
	}
	for i, x := range got {
		if x.Name != want[i][0] || x.Message != want[i][1] {
			t.Errorf("level %d: %q %q, want %q %q", i, x.Name, x.Message, want[i][0], want[i][1])
		}
		if x.Language != Language {
			t.Errorf("level %d: language %q", i, x.Language)
		}
	}
}

func TestFromNil(t *testing.T) {
	if From(nil) != nil {
		t.Error("From(nil) is not nil")
	}
	var typedNil *Exception
	if From(typedNil) != nil {
		t.Error("From of a typed nil *Exception is not nil")
	}
}

func TestFromStdlib(t *testing.T) {
	e := From(errors.New("disk full"))
	checkLevels(t, e, [2]string{"Exception", "disk full"})
	if got, want := lastFunction(e.Traceback), pkgPath+".TestFromStdlib"; got != want {
		t.Errorf("last frame %q, want %q (From's caller)", got, want)
	}
	for _, f := range e.Traceback {
		if strings.HasPrefix(f.Function, "runtime.") || f.Language != Language || f.Line == 0 || f.File == "" {
			t.Errorf("frame %+v", f)
		}
	}
	if e.Error() != "disk full" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestFromWrapChain(t *testing.T) {
	base := errors.New("disk full")
	err := fmt.Errorf("save: %w", fmt.Errorf("write block 7: %w", base))
	e := From(err)
	checkLevels(t, e,
		[2]string{"Exception", "save"},
		[2]string{"Exception", "write block 7"},
		[2]string{"Exception", "disk full"})
	if e.Traceback == nil || e.Cause.Traceback != nil || e.Cause.Cause.Traceback != nil {
		t.Error("only the outermost level of a stdlib chain has a traceback")
	}
	if want := "save: write block 7: disk full"; e.Error() != want {
		t.Errorf("Error() = %q", e.Error())
	}
	if !errors.Is(e, base) {
		t.Error("errors.Is(From(err), base) is false")
	}

	// A wrapper whose text does not end with its cause's keeps it whole; one
	// that is just its cause's text has no message of its own.
	checkLevels(t, From(fmt.Errorf("%w (while saving)", base)),
		[2]string{"Exception", "disk full (while saving)"},
		[2]string{"Exception", "disk full"})
	checkLevels(t, From(fmt.Errorf("%w", base)),
		[2]string{"Exception", ""},
		[2]string{"Exception", "disk full"})
}

func TestFromFsError(t *testing.T) {
	_, err := os.Open("/definitely/not/here")
	e := From(err)
	// A path error over an errno is one level, named by the errno, with
	// errno and filename attributes (cabi/ABI.md section 7.1).
	checkLevels(t, e, [2]string{"FileNotFoundError", "open /definitely/not/here: no such file or directory"})
	if n, ok := e.Errno(); !ok || n != 2 || e.Filename() != "/definitely/not/here" {
		t.Errorf("attributes %v", e.Attributes)
	}
	if !errors.Is(e, syscall.ENOENT) {
		t.Error("errors.Is(e, syscall.ENOENT) is false")
	}
	if !errors.Is(e, fs.ErrNotExist) {
		t.Error("errors.Is(e, fs.ErrNotExist) is false")
	}
	var pe *fs.PathError
	if !errors.As(e, &pe) || pe.Path != "/definitely/not/here" {
		t.Errorf("errors.As(e, *fs.PathError) = %v", pe)
	}
}

// Helpers creating pkg/errors values, so that the tests can check that a
// stack's last frame is the function that created it.

func pkgNew() error            { return pkgerrors.New("connection reset") }
func pkgWrap(err error) error  { return pkgerrors.Wrap(err, "fetch page") }
func pkgWrapf(err error) error { return pkgerrors.Wrapf(err, "attempt %d", 3) }
func pkgWithStack(err error) error {
	return pkgerrors.WithStack(err)
}

func TestFromPkgErrors(t *testing.T) {
	t.Run("New", func(t *testing.T) {
		e := From(pkgNew())
		checkLevels(t, e, [2]string{"Exception", "connection reset"})
		if got := lastFunction(e.Traceback); got != pkgPath+".pkgNew" {
			t.Errorf("last frame %q, want pkgNew", got)
		}
		if first := e.Traceback[0].Function; first != "testing.tRunner" {
			t.Errorf("first (oldest) frame %q, want testing.tRunner", first)
		}
	})
	t.Run("Wrap", func(t *testing.T) {
		e := From(pkgWrap(pkgNew()))
		checkLevels(t, e,
			[2]string{"Exception", "fetch page"},
			[2]string{"Exception", "connection reset"})
		if got := lastFunction(e.Traceback); got != pkgPath+".pkgWrap" {
			t.Errorf("wrap level: last frame %q, want pkgWrap", got)
		}
		if got := lastFunction(e.Cause.Traceback); got != pkgPath+".pkgNew" {
			t.Errorf("cause level: last frame %q, want pkgNew", got)
		}
	})
	t.Run("Wrapf of a stdlib error", func(t *testing.T) {
		e := From(pkgWrapf(io.ErrUnexpectedEOF))
		checkLevels(t, e,
			[2]string{"EOFError", "attempt 3"},
			[2]string{"EOFError", "unexpected EOF"})
		if got := lastFunction(e.Traceback); got != pkgPath+".pkgWrapf" {
			t.Errorf("last frame %q, want pkgWrapf", got)
		}
		if e.Cause.Traceback != nil {
			t.Errorf("a stdlib cause has no stack: %+v", e.Cause.Traceback)
		}
	})
	t.Run("WithStack", func(t *testing.T) {
		e := From(pkgWithStack(io.EOF))
		checkLevels(t, e, [2]string{"EOFError", "EOF"})
		if got := lastFunction(e.Traceback); got != pkgPath+".pkgWithStack" {
			t.Errorf("last frame %q, want pkgWithStack", got)
		}
		if !errors.Is(e, io.EOF) {
			t.Error("errors.Is(e, io.EOF) is false")
		}
	})
	t.Run("WithStack of New keeps the creation stack", func(t *testing.T) {
		e := From(pkgWithStack(pkgNew()))
		checkLevels(t, e, [2]string{"Exception", "connection reset"})
		if got := lastFunction(e.Traceback); got != pkgPath+".pkgNew" {
			t.Errorf("last frame %q, want pkgNew", got)
		}
	})
	t.Run("WithMessage has no stack", func(t *testing.T) {
		e := From(pkgerrors.WithMessage(io.EOF, "read header"))
		checkLevels(t, e,
			[2]string{"EOFError", "read header"},
			[2]string{"EOFError", "EOF"})
		if got := lastFunction(e.Traceback); !strings.HasSuffix(got, "TestFromPkgErrors.func6") {
			t.Errorf("last frame %q, want From's caller", got)
		}
	})
	t.Run("mixed with fmt", func(t *testing.T) {
		e := From(fmt.Errorf("handler: %w", pkgWrap(pkgNew())))
		checkLevels(t, e,
			[2]string{"Exception", "handler"},
			[2]string{"Exception", "fetch page"},
			[2]string{"Exception", "connection reset"})
		if !strings.Contains(lastFunction(e.Traceback), "TestFromPkgErrors") {
			t.Errorf("outermost level: last frame %q, want From's caller", lastFunction(e.Traceback))
		}
	})
}

// valueError names itself.
type valueError struct{ msg string }

func (e valueError) Error() string         { return e.msg }
func (e valueError) ExceptionName() string { return "ValueError" }

func TestFromExceptionName(t *testing.T) {
	e := From(fmt.Errorf("stats: %w", valueError{"empty list"}))
	checkLevels(t, e,
		[2]string{"ValueError", "stats"},
		[2]string{"ValueError", "empty list"})
	var ve valueError
	if !errors.As(e, &ve) || ve.msg != "empty list" {
		t.Errorf("errors.As(e, valueError) = %v", ve)
	}
}

var errQuota = errors.New("quota exceeded")

// rateError is registered by type.
type rateError struct{ limit int }

func (e *rateError) Error() string { return fmt.Sprintf("more than %d calls a second", e.limit) }

func TestFromRegistered(t *testing.T) {
	Register(errQuota, "billing.QuotaExceeded")
	RegisterType((*rateError)(nil), "billing.RateLimited")

	e := From(fmt.Errorf("charge: %w", errQuota))
	checkLevels(t, e,
		[2]string{"billing.QuotaExceeded", "charge"},
		[2]string{"billing.QuotaExceeded", "quota exceeded"})

	e = From(fmt.Errorf("charge: %w", &rateError{10}))
	checkLevels(t, e,
		[2]string{"billing.RateLimited", "charge"},
		[2]string{"billing.RateLimited", "more than 10 calls a second"})

	// A record from elsewhere with a registered name is the sentinel.
	foreign := &Exception{Name: "billing.QuotaExceeded", Message: "over quota", Language: "python"}
	if !errors.Is(foreign, errQuota) {
		t.Error("errors.Is(foreign record, errQuota) is false")
	}
	if errors.Is(foreign, io.EOF) {
		t.Error("errors.Is(foreign record, io.EOF) is true")
	}
	// The name lives on the level, not only on the Go value.
	if errors.Is(&Exception{Name: "billing.RateLimited"}, errQuota) {
		t.Error("a record of another name is errQuota")
	}
}

func TestPreregisteredSentinels(t *testing.T) {
	// The standard sentinels cross under the standard names (cabi/ABI.md
	// section 7.1), both ways.
	for sentinel, name := range map[error]string{
		io.EOF:                   "EOFError",
		context.Canceled:         "CancelledError",
		context.DeadlineExceeded: "TimeoutError",
		os.ErrDeadlineExceeded:   "TimeoutError",
		os.ErrNotExist:           "FileNotFoundError",
		os.ErrExist:              "FileExistsError",
		os.ErrPermission:         "PermissionError",
		errors.ErrUnsupported:    "NotImplementedError",
	} {
		e := From(fmt.Errorf("op: %w", sentinel))
		if e.Cause.Name != name {
			t.Errorf("%v: name %q, want %q", sentinel, e.Cause.Name, name)
		}
		b, err := Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(back, sentinel) {
			t.Errorf("%s: errors.Is after a round trip is false", name)
		}
	}
}

func TestIsAfterRoundTrip(t *testing.T) {
	e := From(fmt.Errorf("x: %w", io.EOF))
	if e.Cause.Name != "EOFError" {
		t.Fatalf("cause name %q", e.Cause.Name)
	}
	b, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(back, io.EOF) {
		t.Error("errors.Is(decoded, io.EOF) is false")
	}
	if errors.Is(back, strconv.ErrSyntax) {
		t.Error("errors.Is(decoded, strconv.ErrSyntax) is true")
	}
}

func TestFromJoin(t *testing.T) {
	a, b, c := errors.New("a failed"), errors.New("b failed"), errors.New("c failed")
	e := From(errors.Join(a, b, nil, c))
	checkLevels(t, e,
		[2]string{"Exception", ""},
		[2]string{"Exception", "a failed"})
	if len(e.Notes) != 2 || e.Notes[0] != "also: b failed" || e.Notes[1] != "also: c failed" {
		t.Errorf("notes %q", e.Notes)
	}
	if !errors.Is(e, a) || !errors.Is(e, b) || !errors.Is(e, c) {
		t.Error("errors.Is does not see every joined error")
	}
	// fmt.Errorf with several %w is a multi-error too.
	e = From(fmt.Errorf("both: %w, %w", a, b))
	checkLevels(t, e,
		[2]string{"Exception", "both: a failed, b failed"},
		[2]string{"Exception", "a failed"})
	if len(e.Notes) != 1 || e.Notes[0] != "also: b failed" {
		t.Errorf("notes %q", e.Notes)
	}
}

func TestFromKeepsExceptions(t *testing.T) {
	foreign := &Exception{
		Name: "ZeroDivisionError", Message: "division by zero", Language: "python",
		Traceback: []Frame{{Function: "divide", File: "conformance.py", Line: 12, Language: "python"}},
		Cause:     &Exception{Name: "ArithmeticError", Language: "python"},
	}
	if From(foreign) != foreign {
		t.Error("From(*Exception) is not the same exception")
	}
	e := From(fmt.Errorf("calling divide: %w", foreign))
	got := levels(e)
	if len(got) != 3 || got[0].Message != "calling divide" || got[1].Name != "ZeroDivisionError" ||
		got[1].Language != "python" || got[1].Traceback[0].Function != "divide" || got[2].Name != "ArithmeticError" {
		t.Fatalf("chain %v", exported(e))
	}
	if got[1] == foreign {
		t.Error("the foreign exception was linked, not copied")
	}
	if !errors.Is(e, foreign) {
		t.Error("errors.Is(e, foreign) is false")
	}
}

// cyclic unwraps to itself.
type cyclic struct{}

func (c *cyclic) Error() string { return "loop" }
func (c *cyclic) Unwrap() error { return c }

// stackLoop is a pure stack wrapper that unwraps to itself.
type stackLoop struct{}

func (s *stackLoop) Error() string                    { return "stack loop" }
func (s *stackLoop) Unwrap() error                    { return s }
func (s *stackLoop) StackTrace() pkgerrors.StackTrace { return pkgerrors.StackTrace{1} }

func TestFromCycleGuard(t *testing.T) {
	e := From(&cyclic{})
	got := levels(e)
	if len(got) != MaxCauseDepth {
		t.Fatalf("%d levels, want %d", len(got), MaxCauseDepth)
	}
	last := got[len(got)-1]
	if len(last.Notes) != 1 || !strings.Contains(last.Notes[0], "truncated after 256 levels") {
		t.Errorf("last level notes %q", last.Notes)
	}
	if _, err := Marshal(e); err != nil {
		t.Errorf("a truncated chain does not encode: %v", err)
	}

	e = From(&stackLoop{})
	if got := levels(e); len(got) != 1 || got[0].Message != "stack loop" {
		t.Errorf("a cycle of stack wrappers gave %v", exported(e))
	}
}
