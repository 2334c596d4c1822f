package exceptions

import (
	"fmt"
	"strings"
)

// Frame is one call in a traceback.
type Frame struct {
	// Function is the function's full name: "main.add",
	// "github.com/x/y.(*T).M", "conformance.divide".
	Function string `msgpack:"function"`
	// File is the source file's path, "" when unknown.
	File string `msgpack:"file"`
	// Line is the 1-based line, 0 when unknown.
	Line int `msgpack:"line"`
	// Column is the 1-based column, 0 when unknown (always 0 for Go).
	Column int `msgpack:"column"`
	// Language is the language the frame's code is written in. It is not
	// on the wire: decoding fills it in from the owning record's language,
	// and printing uses it to tag the frame.
	Language string `msgpack:"-"`
}

// Exception is one language-neutral exception: a level of a cause chain.
// The zero value is not useful; make one with [New], [From], [FromPanic] or
// by decoding a record.
//
// Exception implements error. Its Cause is its Unwrap, so errors.Is and
// errors.As walk the whole chain, whatever languages it crossed.
//
// Invariants: an Exception owns everything it holds (decoding copies every
// string and value out of the reply, which the host frees); it is written
// when it is made or decoded and only read afterwards, so any goroutine may
// read it. Functions that adjust a chain (WithinLimits, FromReturned) copy
// the levels they change rather than mutate an exception someone else holds.
type Exception struct {
	// Name is the type or class name (cabi/ABI.md sections 6 and 7.1):
	// "ZeroDivisionError", "FileNotFoundError", "QuotaError", "Exception",
	// "virgil.Panic".
	Name string
	// Message is this level's own message, without its causes' text.
	Message string
	// Language is the language that raised this level: "go", "python",
	// "rust", "haskell" or "c".
	Language string
	// Traceback is the call stack where this level was raised, oldest call
	// first: the last frame is where it was raised.
	Traceback []Frame
	// Cause is the exception this one wraps, or nil.
	Cause *Exception
	// Notes are extra annotations.
	Notes []string
	// Attributes are the level's structured fields: errno and filename for
	// a failure of the operating system, an error type's own exported
	// fields (see [Attributes]).
	Attributes Attributes

	// orig is the Go error this level was made from by From in this
	// process, nil otherwise. It gives errors.Is and errors.As identity.
	orig error
	// merged is the leaf cause a standard wrapper was made one level with
	// (the syscall.Errno under an *fs.PathError), for errors.Is.
	merged error
}

// New returns an exception of the given name and message raised by Go code,
// with the frames of New's caller as its traceback.
func New(name, message string) *Exception {
	tb, notes := captureCallers(1)
	return &Exception{Name: name, Message: message, Language: Language, Traceback: tb, Notes: notes}
}

// Newf is [New] with a message formatted by fmt.Sprintf.
func Newf(name, format string, args ...any) *Exception {
	tb, notes := captureCallers(1)
	return &Exception{
		Name: name, Message: fmt.Sprintf(format, args...), Language: Language,
		Traceback: tb, Notes: notes,
	}
}

// ExceptionName returns e.Name. Errors with this method keep their name
// when [From] converts them, so an Exception wrapped by fmt.Errorf keeps its
// name too.
func (e *Exception) ExceptionName() string {
	if e == nil {
		return ""
	}
	return e.Name
}

// Error returns the text of the chain as cabi/ABI.md section 6 defines it,
// the way a Go error chain reads: the messages of e and its causes joined by
// ": ", empty messages skipped ("load config: open /etc/app.toml: no such
// file or directory"); the name when every message is empty. Names and
// frames are in the %+v form (see [Exception.Format]).
func (e *Exception) Error() string {
	if e == nil {
		return "<nil>"
	}
	var b strings.Builder
	levels := 0
	for x := e; x != nil; x = x.Cause {
		if levels == MaxCauseDepth {
			b.WriteString(": ... (cause chain truncated)")
			break
		}
		levels++
		if x.Message == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(x.Message)
	}
	if b.Len() == 0 {
		return e.Name
	}
	return b.String()
}

// headline is "Name: Message", or "Name" when the message is empty.
func (e *Exception) headline() string {
	if e.Message == "" {
		return e.Name
	}
	return e.Name + ": " + e.Message
}

// Unwrap returns the cause, or nil (a nil interface, not a typed nil) when
// there is none.
func (e *Exception) Unwrap() error {
	if e == nil || e.Cause == nil {
		return nil
	}
	return e.Cause
}

// chain returns e and its causes, outermost first, at most MaxCauseDepth of
// them, and whether there were more.
func (e *Exception) chain() ([]*Exception, bool) {
	var levels []*Exception
	for x := e; x != nil; x = x.Cause {
		if len(levels) == MaxCauseDepth {
			return levels, true
		}
		levels = append(levels, x)
	}
	return levels, false
}
