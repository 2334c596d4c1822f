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

// roundTrip encodes e and decodes it back, as a record from another process.
func roundTrip(t *testing.T, e *Exception) *Exception {
	t.Helper()
	b, err := Marshal(e)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	return back
}

// TestErrnoTable checks every row of the errno table of cabi/ABI.md 7.1,
// with Linux's numbers on the wire.
func TestErrnoTable(t *testing.T) {
	rows := []struct {
		errno syscall.Errno
		num   int
		name  string
	}{
		{syscall.ENOENT, 2, "FileNotFoundError"},
		{syscall.EEXIST, 17, "FileExistsError"},
		{syscall.EACCES, 13, "PermissionError"},
		{syscall.EPERM, 1, "PermissionError"},
		{syscall.EISDIR, 21, "IsADirectoryError"},
		{syscall.ENOTDIR, 20, "NotADirectoryError"},
		{syscall.ETIMEDOUT, 110, "TimeoutError"},
		{syscall.EINTR, 4, "InterruptedError"},
		{syscall.EAGAIN, 11, "BlockingIOError"},
		{syscall.EALREADY, 114, "BlockingIOError"},
		{syscall.EINPROGRESS, 115, "BlockingIOError"},
		{syscall.EPIPE, 32, "BrokenPipeError"},
		{syscall.ESHUTDOWN, 108, "BrokenPipeError"},
		{syscall.ECONNREFUSED, 111, "ConnectionRefusedError"},
		{syscall.ECONNRESET, 104, "ConnectionResetError"},
		{syscall.ECONNABORTED, 103, "ConnectionAbortedError"},
		{syscall.ECHILD, 10, "ChildProcessError"},
		{syscall.ESRCH, 3, "ProcessLookupError"},
		{syscall.ENOSPC, 28, "OSError"},
		{syscall.EBADF, 9, "OSError"},
	}
	for _, r := range rows {
		t.Run(r.name+"/"+strconv.Itoa(r.num), func(t *testing.T) {
			if int(r.errno) != r.num {
				t.Fatalf("errno %v is %d here, the table says %d (Linux)", r.errno, int(r.errno), r.num)
			}
			if got := ErrnoName(r.num); got != r.name {
				t.Errorf("ErrnoName(%d) = %q, want %q", r.num, got, r.name)
			}
			// Go -> record: the errno itself, and under an *os.SyscallError.
			for _, err := range []error{r.errno, os.NewSyscallError("op", r.errno)} {
				e := From(err)
				if e.Name != r.name || e.Cause != nil {
					t.Errorf("From(%T %v): %q with cause %v, want one level %q", err, err, e.Name, e.Cause, r.name)
				}
				if n, ok := e.Errno(); !ok || n != r.num {
					t.Errorf("From(%T %v): errno %d %v, want %d", err, err, n, ok, r.num)
				}
				if !errors.Is(e, r.errno) {
					t.Errorf("From(%T %v): errors.Is(e, errno) is false", err, err)
				}
			}
			// Record -> Go: a foreign record with the errno is the errno.
			foreign := &Exception{Name: r.name, Message: r.errno.Error(), Language: "python",
				Attributes: Attributes{AttrErrno: int64(r.num)}}
			foreign = roundTrip(t, foreign)
			if !errors.Is(foreign, r.errno) {
				t.Errorf("foreign %s errno %d: errors.Is(x, %v) is false", r.name, r.num, r.errno)
			}
			var errno syscall.Errno
			if !errors.As(foreign, &errno) || errno != r.errno {
				t.Errorf("foreign %s: errors.As to syscall.Errno = %v", r.name, errno)
			}
			// A reader may refine OSError by its errno: an OSError with
			// errno 2 is still a missing file for errors.Is.
			if r.errno == syscall.ENOENT {
				osErr := roundTrip(t, &Exception{Name: "OSError", Language: "c", Attributes: Attributes{AttrErrno: int64(2)}})
				if !errors.Is(osErr, fs.ErrNotExist) || !errors.Is(osErr, syscall.ENOENT) {
					t.Error("an OSError with errno 2 is not fs.ErrNotExist / ENOENT")
				}
			}
		})
	}
}

// TestFromStandardNames checks the Go column of the 7.1 table, writer side,
// bare and under a wrapper.
func TestFromStandardNames(t *testing.T) {
	_, atoiErr := strconv.Atoi("x1")
	_, rangeErr := strconv.ParseInt("99999999999999999999", 10, 64)
	cases := []struct {
		err  error
		name string
	}{
		{fs.ErrNotExist, "FileNotFoundError"},
		{os.ErrNotExist, "FileNotFoundError"},
		{syscall.ENOENT, "FileNotFoundError"},
		{fs.ErrExist, "FileExistsError"},
		{fs.ErrPermission, "PermissionError"},
		{syscall.EISDIR, "IsADirectoryError"},
		{context.DeadlineExceeded, "TimeoutError"},
		{os.ErrDeadlineExceeded, "TimeoutError"},
		{context.Canceled, "CancelledError"},
		{io.EOF, "EOFError"},
		{io.ErrUnexpectedEOF, "EOFError"},
		{strconv.ErrSyntax, "ValueError"},
		{fs.ErrInvalid, "ValueError"},
		{strconv.ErrRange, "OverflowError"},
		{atoiErr, "ValueError"},
		{rangeErr, "OverflowError"},
		{errors.ErrUnsupported, "NotImplementedError"},
		{syscall.ECONNREFUSED, "ConnectionRefusedError"},
		{syscall.ENOSPC, "OSError"},
		{errors.New("plain"), "Exception"},
		{fmt.Errorf("formatted %d", 1), "Exception"},
		{fmt.Errorf("not wrapped: %v", io.EOF), "Exception"},
		{pkgerrors.New("with a stack"), "Exception"},
		{pkgerrors.Errorf("with a stack %d", 2), "Exception"},
	}
	for _, c := range cases {
		if got := From(c.err).Name; got != c.name {
			t.Errorf("From(%v %T) = %q, want %q", c.err, c.err, got, c.name)
		}
		wrapped := From(fmt.Errorf("ctx: %w", c.err))
		if wrapped.Name != c.name {
			t.Errorf("From(ctx: %%w %v) = %q, want %q", c.err, wrapped.Name, c.name)
		}
		if wrapped.Message != "ctx" {
			t.Errorf("From(ctx: %%w %v): message %q, want ctx", c.err, wrapped.Message)
		}
	}
}

// TestReadStandardNames checks the Go column of the 7.1 table, reader side:
// a record from another language of a standard name is Go's own error for
// errors.Is, and the one-way names are not.
func TestReadStandardNames(t *testing.T) {
	cases := []struct {
		name  string
		is    []error
		isNot []error
		errno int64 // 0: no errno attribute (else errno and filename)
	}{
		{name: "FileNotFoundError", is: []error{fs.ErrNotExist, os.ErrNotExist}, isNot: []error{fs.ErrExist, io.EOF}},
		{name: "FileNotFoundError", errno: 2,
			is: []error{fs.ErrNotExist, syscall.ENOENT}, isNot: []error{syscall.EEXIST, fs.ErrPermission}},
		{name: "FileExistsError", is: []error{fs.ErrExist}, isNot: []error{fs.ErrNotExist}},
		{name: "PermissionError", is: []error{fs.ErrPermission, os.ErrPermission}},
		{name: "PermissionError", errno: 13, is: []error{fs.ErrPermission, syscall.EACCES}, isNot: []error{syscall.EPERM}},
		{name: "TimeoutError", is: []error{context.DeadlineExceeded, os.ErrDeadlineExceeded}, isNot: []error{context.Canceled}},
		{name: "CancelledError", is: []error{context.Canceled}, isNot: []error{context.DeadlineExceeded}},
		{name: "EOFError", is: []error{io.EOF}, isNot: []error{io.ErrUnexpectedEOF}},
		{name: "NotImplementedError", is: []error{errors.ErrUnsupported}},
		// One way only: a ValueError from Python is no strconv.ErrSyntax.
		{name: "ValueError", isNot: []error{strconv.ErrSyntax, fs.ErrInvalid}},
		{name: "OverflowError", isNot: []error{strconv.ErrRange}},
		{name: "ConnectionRefusedError", errno: 111, is: []error{syscall.ECONNREFUSED}, isNot: []error{syscall.ECONNRESET}},
		{name: "OSError", errno: 28, is: []error{syscall.ENOSPC}, isNot: []error{fs.ErrNotExist}},
		{name: "Exception", isNot: []error{fs.ErrNotExist, io.EOF, context.Canceled}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/errno=%d", c.name, c.errno), func(t *testing.T) {
			x := &Exception{Name: c.name, Message: "boom", Language: "rust"}
			if c.errno != 0 {
				x.Attributes = Attributes{AttrErrno: c.errno, AttrFilename: "/etc/app.toml"}
			}
			// Wrapped in a Go context, and decoded as from another process.
			wrapped := From(fmt.Errorf("load config: %w", roundTrip(t, x)))
			for _, err := range []error{roundTrip(t, x), wrapped, roundTrip(t, wrapped)} {
				for _, target := range c.is {
					if !errors.Is(err, target) {
						t.Errorf("errors.Is(%v, %v) is false", err, target)
					}
				}
				for _, target := range c.isNot {
					if errors.Is(err, target) {
						t.Errorf("errors.Is(%v, %v) is true", err, target)
					}
				}
				var pe *fs.PathError
				if got := errors.As(err, &pe); got != (c.errno != 0) {
					t.Errorf("errors.As(%v, *fs.PathError) = %v, want %v", err, got, c.errno != 0)
				} else if got && (pe.Path != "/etc/app.toml" || pe.Err != syscall.Errno(c.errno)) {
					t.Errorf("errors.As *fs.PathError = %+v", pe)
				}
				var x *Exception
				if !errors.As(err, &x) || x.Name != c.name {
					t.Errorf("errors.As(%v, *Exception) = %v", err, x)
				}
			}
		})
	}
}

// TestReadErrnoNamesWithoutErrno: cabi/ABI.md 7.1 says the names of the
// errno table with no row of their own "read, in Go, as the syscall.Errno
// (so errors.Is(err, syscall.ECONNREFUSED) holds)". A hand-raised Python
// ConnectionRefusedError (or a Rust one) has no errno attribute; the name
// alone must be enough.
func TestReadErrnoNamesWithoutErrno(t *testing.T) {
	for name, errno := range map[string]syscall.Errno{
		"ConnectionRefusedError": syscall.ECONNREFUSED,
		"ConnectionResetError":   syscall.ECONNRESET,
		"ConnectionAbortedError": syscall.ECONNABORTED,
		"IsADirectoryError":      syscall.EISDIR,
		"NotADirectoryError":     syscall.ENOTDIR,
		"InterruptedError":       syscall.EINTR,
		"ChildProcessError":      syscall.ECHILD,
		"ProcessLookupError":     syscall.ESRCH,
		"FileNotFoundError":      syscall.ENOENT,
	} {
		x := roundTrip(t, &Exception{Name: name, Message: "m", Language: "python"})
		if !errors.Is(x, errno) {
			t.Errorf("errors.Is(foreign %s without errno, %v) is false", name, errno)
		}
	}
}

// TestAnnotatingWrappers: *fs.PathError, *os.LinkError, *os.SyscallError
// and *strconv.NumError over a leaf are one level named by the leaf, with
// the whole text as the message and the paths as attributes.
func TestAnnotatingWrappers(t *testing.T) {
	_, numErr := strconv.Atoi("12a")
	_, rangeErr := strconv.ParseUint("300", 10, 8)
	_, openErr := os.Open("/nonexistent/virgil-review/app.toml")
	cases := []struct {
		err   error
		name  string
		attrs Attributes
		is    []error
	}{
		{&fs.PathError{Op: "open", Path: "/etc/app.toml", Err: syscall.ENOENT}, "FileNotFoundError",
			Attributes{"errno": int64(2), "filename": "/etc/app.toml"}, []error{fs.ErrNotExist, syscall.ENOENT}},
		{openErr, "FileNotFoundError",
			Attributes{"errno": int64(2), "filename": "/nonexistent/virgil-review/app.toml"}, []error{fs.ErrNotExist}},
		{&fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}, "FileNotFoundError",
			Attributes{"filename": "x"}, []error{fs.ErrNotExist}},
		{&os.LinkError{Op: "rename", Old: "/a", New: "/b", Err: syscall.EXDEV}, "OSError",
			Attributes{"errno": int64(syscall.EXDEV), "filename": "/a", "filename2": "/b"}, []error{syscall.EXDEV}},
		{&os.LinkError{Op: "link", Old: "/a", New: "/b", Err: syscall.EEXIST}, "FileExistsError",
			Attributes{"errno": int64(17), "filename": "/a", "filename2": "/b"}, []error{fs.ErrExist}},
		{os.NewSyscallError("connect", syscall.ECONNREFUSED), "ConnectionRefusedError",
			Attributes{"errno": int64(111)}, []error{syscall.ECONNREFUSED}},
		{numErr, "ValueError", nil, []error{strconv.ErrSyntax}},
		{rangeErr, "OverflowError", nil, []error{strconv.ErrRange}},
	}
	for _, c := range cases {
		e := From(c.err)
		if e.Name != c.name || e.Message != c.err.Error() || e.Cause != nil {
			t.Errorf("From(%v): %q %q cause %v, want one level %q %q", c.err, e.Name, e.Message, e.Cause, c.name, c.err.Error())
			continue
		}
		if fmt.Sprint(e.Attributes) != fmt.Sprint(c.attrs) {
			t.Errorf("From(%v): attributes %v, want %v", c.err, e.Attributes, c.attrs)
		}
		for _, target := range c.is {
			if !errors.Is(e, target) {
				t.Errorf("From(%v): errors.Is(%v) is false", c.err, target)
			}
		}
		// errors.As reaches the original wrapper in this process.
		var pe *fs.PathError
		if _, isPath := c.err.(*fs.PathError); isPath && (!errors.As(e, &pe) || pe != c.err) {
			t.Errorf("From(%v): errors.As to the original *fs.PathError failed", c.err)
		}
		// Under transparent wrappers the collapsed level stays one level.
		w := From(pkgerrors.Wrap(fmt.Errorf("load: %w", c.err), "start"))
		checkLevels(t, w, [2]string{c.name, "start"}, [2]string{c.name, "load"}, [2]string{c.name, c.err.Error()})
	}
	// Over a wrapper (not a leaf) it is a level of its own, named like
	// its cause.
	e := From(&fs.PathError{Op: "open", Path: "p", Err: fmt.Errorf("inner: %w", syscall.ENOENT)})
	if e.Name != "FileNotFoundError" || e.Cause == nil || e.Cause.Name != "FileNotFoundError" {
		t.Errorf("PathError over a wrapper: %q cause %v", e.Name, e.Cause)
	}
}

// TestTransparentWrappersNamedLikeCause: %w, errors.Join and pkg/errors
// never name a level, through several layers.
func TestTransparentWrappersNamedLikeCause(t *testing.T) {
	leaf := &fs.PathError{Op: "open", Path: "/etc/app.toml", Err: syscall.ENOENT}
	err := fmt.Errorf("start: %w",
		pkgerrors.WithMessage(
			errors.Join(
				pkgerrors.Wrap(
					pkgerrors.WithStack(fmt.Errorf("load config: %w", leaf)),
					"read"),
				errors.New("other")),
			"boot"))
	e := From(err)
	for i, x := range levels(e) {
		if x.Name != "FileNotFoundError" {
			t.Errorf("level %d (%q): name %q, want FileNotFoundError", i, x.Message, x.Name)
		}
	}
	if got, want := e.Error(), err.Error(); got != want && got != "start: boot: read: load config: open /etc/app.toml: no such file or directory" {
		t.Errorf("Error() = %q, want the Go chain's text %q", got, want)
	}
	if !errors.Is(e, fs.ErrNotExist) {
		t.Error("errors.Is(fs.ErrNotExist) is false")
	}
	back := roundTrip(t, e)
	if !errors.Is(back, fs.ErrNotExist) || !errors.Is(back, syscall.ENOENT) {
		t.Error("after a round trip, errors.Is(fs.ErrNotExist / ENOENT) is false")
	}
	for x := back; x != nil; x = x.Cause {
		if x.Name != "FileNotFoundError" {
			t.Errorf("decoded level %q: %q", x.Message, x.Name)
		}
	}
	// A plain chain is Exception all the way.
	for i, x := range levels(From(pkgerrors.Wrap(fmt.Errorf("a: %w", errors.New("b")), "c"))) {
		if x.Name != "Exception" {
			t.Errorf("plain chain level %d: %q", i, x.Name)
		}
	}
	// A plain error over a named one: the plain level is not a wrapper,
	// it keeps "Exception" only when it wraps nothing.
	if e := From(fmt.Errorf("%w", io.EOF)); e.Name != "EOFError" || e.Message != "" || e.Error() != "EOF" {
		t.Errorf("%%w alone: %q %q %q", e.Name, e.Message, e.Error())
	}
}

// Test types for the naming of user error types (package exceptions, not
// main: qualified by the package name).
type QuotaError struct {
	Limit  int
	Used   float64 `msgpack:"used"`
	Reason string  `msgpack:"reason,omitempty"`
	Hidden string  `msgpack:"-"`
	secret string
	Err    error
	Hook   func()
	Events chan int
}

func (e *QuotaError) Error() string { return "quota exceeded" }

type valueQuota struct{ Code int }

func (valueQuota) Error() string { return "value quota" }

type codeError int

func (c codeError) Error() string { return "code " + strconv.Itoa(int(c)) }

func TestUserTypeNames(t *testing.T) {
	cases := []struct {
		err  error
		name string
	}{
		{&QuotaError{}, "exceptions.QuotaError"},
		{valueQuota{}, "exceptions.valueQuota"},
		{codeError(3), "exceptions.codeError"},
		{&strconv.NumError{Func: "f", Num: "x", Err: errors.New("custom")}, "Exception"},
		{fmt.Errorf("charge: %w", &QuotaError{}), "exceptions.QuotaError"},
	}
	for _, c := range cases {
		e := From(c.err)
		if e.Name != c.name {
			t.Errorf("From(%T) = %q, want %q", c.err, e.Name, c.name)
		}
		for x := e; x != nil; x = x.Cause {
			for _, bad := range []string{"*", "github.com/", "virgilffi"} {
				if strings.Contains(x.Name, bad) {
					t.Errorf("name %q holds %q", x.Name, bad)
				}
			}
		}
	}
	if got := goTypeName(&QuotaError{}); got != "exceptions.QuotaError" {
		t.Errorf("goTypeName = %q", got)
	}
	var pp **QuotaError
	if got := goTypeName(errPtrPtr{pp}); got != "exceptions.errPtrPtr" {
		t.Errorf("goTypeName = %q", got)
	}
}

type errPtrPtr struct{ p **QuotaError }

func (errPtrPtr) Error() string { return "pp" }
