package exceptions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"

	pkgerrors "github.com/pkg/errors"
)

// The standard exception names of cabi/ABI.md section 7.1: the names under
// which every language's standard errors cross, Python's built-in classes.
const (
	// Plain names an error with no name of its own anywhere along its chain
	// (errors.New, fmt.Errorf without %w).
	Plain                  = "Exception"
	FileNotFoundError      = "FileNotFoundError"
	FileExistsError        = "FileExistsError"
	PermissionError        = "PermissionError"
	IsADirectoryError      = "IsADirectoryError"
	NotADirectoryError     = "NotADirectoryError"
	TimeoutError           = "TimeoutError"
	CancelledError         = "CancelledError"
	EOFError               = "EOFError"
	ValueError             = "ValueError"
	OverflowError          = "OverflowError"
	ZeroDivisionError      = "ZeroDivisionError"
	NotImplementedError    = "NotImplementedError"
	OSError                = "OSError"
	InterruptedError       = "InterruptedError"
	BlockingIOError        = "BlockingIOError"
	BrokenPipeError        = "BrokenPipeError"
	ConnectionRefusedError = "ConnectionRefusedError"
	ConnectionResetError   = "ConnectionResetError"
	ConnectionAbortedError = "ConnectionAbortedError"
	ChildProcessError      = "ChildProcessError"
	ProcessLookupError     = "ProcessLookupError"
)

// errnoNames is the errno table of cabi/ABI.md section 7.1 (PEP 3151's),
// in Linux numbering; any other errno is OSError.
var errnoNames = map[syscall.Errno]string{
	syscall.ENOENT:       FileNotFoundError,
	syscall.EEXIST:       FileExistsError,
	syscall.EACCES:       PermissionError,
	syscall.EPERM:        PermissionError,
	syscall.EISDIR:       IsADirectoryError,
	syscall.ENOTDIR:      NotADirectoryError,
	syscall.ETIMEDOUT:    TimeoutError,
	syscall.EINTR:        InterruptedError,
	syscall.EAGAIN:       BlockingIOError,
	syscall.EALREADY:     BlockingIOError,
	syscall.EINPROGRESS:  BlockingIOError,
	syscall.EPIPE:        BrokenPipeError,
	syscall.ESHUTDOWN:    BrokenPipeError,
	syscall.ECONNREFUSED: ConnectionRefusedError,
	syscall.ECONNRESET:   ConnectionResetError,
	syscall.ECONNABORTED: ConnectionAbortedError,
	syscall.ECHILD:       ChildProcessError,
	syscall.ESRCH:        ProcessLookupError,
}

// impliedErrno is the errno of each standard name that stands for exactly
// one error number.
var impliedErrno = func() map[string]syscall.Errno {
	count := map[string]int{}
	for _, name := range errnoNames {
		count[name]++
	}
	implied := map[string]syscall.Errno{}
	for errno, name := range errnoNames {
		if count[name] == 1 {
			implied[name] = errno
		}
	}
	return implied
}()

// ErrnoName returns the standard name of an error number (cabi/ABI.md,
// section 7.1): FileNotFoundError for ENOENT, ..., OSError for any number
// the table does not list.
func ErrnoName(errno int) string {
	if name, ok := errnoNames[syscall.Errno(errno)]; ok {
		return name
	}
	return OSError
}

// standardSentinels are the Go sentinels that cross under a standard name
// both ways: From names them so, and a record of that name (from any
// language) satisfies errors.Is with them.
var standardSentinels = map[error]string{
	fs.ErrNotExist:           FileNotFoundError,
	fs.ErrExist:              FileExistsError,
	fs.ErrPermission:         PermissionError,
	context.DeadlineExceeded: TimeoutError,
	os.ErrDeadlineExceeded:   TimeoutError,
	context.Canceled:         CancelledError,
	io.EOF:                   EOFError,
	errors.ErrUnsupported:    NotImplementedError,
}

// namingSentinels cross under a standard name one way only: From names them
// so, but a ValueError from another language is no strconv.ErrSyntax.
var namingSentinels = map[error]string{
	io.ErrUnexpectedEOF: EOFError,
	strconv.ErrSyntax:   ValueError,
	strconv.ErrRange:    OverflowError,
	fs.ErrInvalid:       ValueError,
}

// A level's kind decides how it is named (cabi/ABI.md, section 6).
type levelKind int

const (
	// named: the error names itself (a method, a registration, its type).
	named levelKind = iota
	// plain: errors.New and friends; "Exception" unless a cause names it.
	plain
	// transparent: a wrapper that only adds text or a stack; named like
	// its cause.
	transparent
	// annotating: a standard wrapper that adds an operation and a path to
	// its cause (*fs.PathError, ...); named like its cause, and one level
	// with it when the cause is a leaf.
	annotating
)

var (
	plainTypes = typeSet(
		errors.New(""),
		pkgerrors.New(""),
	)
	transparentTypes = typeSet(
		fmtWrap("%w", errors.New("")),
		fmtWrap("%w %w", errors.New(""), errors.New("")),
		errors.Join(errors.New("")),
		pkgerrors.WithStack(errors.New("")),
		pkgerrors.WithMessage(errors.New(""), ""),
	)
	annotatingTypes = typeSet(
		&fs.PathError{},
		&os.LinkError{},
		&os.SyscallError{},
		&strconv.NumError{},
	)
)

// annotatingTypeNames are annotating wrappers of packages this one does not
// import (a guest that never dials should not link net): they add an
// operation and an address or URL to the error that names them.
var annotatingTypeNames = map[string]bool{
	"*net.OpError": true,
	"*url.Error":   true,
}

// fmtWrap is fmt.Errorf, through a variable so that vet does not read the
// format; it yields the types fmt.Errorf returns for one and for several %w.
var fmtWrap = fmt.Errorf

func typeSet(examples ...error) map[reflect.Type]bool {
	set := map[reflect.Type]bool{}
	for _, e := range examples {
		set[reflect.TypeOf(e)] = true
	}
	return set
}

// kindOfLevel classifies err, one level of a Go error chain, for naming.
func kindOfLevel(err error) levelKind {
	if hasOwnName(err) {
		return named
	}
	t := reflect.TypeOf(err)
	switch {
	case plainTypes[t]:
		return plain
	case transparentTypes[t]:
		return transparent
	case annotatingTypes[t], annotatingTypeNames[t.String()]:
		return annotating
	}
	return named
}

// goTypeName is the name of a Go error type as cabi/ABI.md section 6 writes
// it: without pointer marks, qualified by its package's name except in
// package main ("*main.QuotaError" is "QuotaError", "*json.SyntaxError" is
// "json.SyntaxError").
func goTypeName(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer && t.Name() == "" {
		t = t.Elem()
	}
	name := t.Name()
	if name == "" {
		return strings.TrimLeft(t.String(), "*")
	}
	pkg := t.PkgPath()
	if i := strings.LastIndexByte(pkg, '/'); i >= 0 {
		pkg = pkg[i+1:]
	}
	if pkg == "" || pkg == "main" {
		return name
	}
	return pkg + "." + name
}

// osAttributes returns the attributes an OS failure carries: errno when
// err is a syscall.Errno, filename (and filename2) when it is a wrapper with
// paths, for the level made of the wrapper and its leaf cause.
func osAttributes(wrapper, leaf error) Attributes {
	attrs := Attributes{}
	if errno, ok := leaf.(syscall.Errno); ok {
		attrs[AttrErrno] = int64(errno)
	}
	switch w := wrapper.(type) {
	case *fs.PathError:
		attrs[AttrFilename] = w.Path
	case *os.LinkError:
		attrs[AttrFilename], attrs[AttrFilename2] = w.Old, w.New
	}
	if len(attrs) == 0 {
		return nil
	}
	return attrs
}
