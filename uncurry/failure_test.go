package uncurry_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	pkgerrors "github.com/pkg/errors"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// errorHeader is the canonical start of an error envelope.
var errorHeader = []byte{0x81, 0xa5, 'e', 'r', 'r', 'o', 'r'}

// TestReturnedErrors checks that a returned error becomes an error envelope holding what
// exceptions.From makes of it: names from ExceptionName, messages per level, the cause chain.
func TestReturnedErrors(t *testing.T) {
	inner := &namedError{name: "ChainLevel1", msg: "level 1"}
	tests := []struct {
		name string
		err  error
		want [][2]string // name and message per level, outermost first
	}{
		{"named", &namedError{name: "ValueError", msg: "stats of an empty list"},
			[][2]string{{"ValueError", "stats of an empty list"}}},
		{"plain", errors.New("plain failure"),
			[][2]string{{"Exception", "plain failure"}}},
		{"chain", &namedError{name: "ChainLevel2", msg: "level 2", cause: inner},
			[][2]string{{"ChainLevel2", "level 2"}, {"ChainLevel1", "level 1"}}},
		{"wrapped by fmt.Errorf", fmt.Errorf("read config: %w", inner),
			[][2]string{{"ChainLevel1", "read config"}, {"ChainLevel1", "level 1"}}},
		{"with a pkg/errors stack", pkgerrors.WithStack(&namedError{name: "ZeroDivisionError", msg: "division by zero"}),
			[][2]string{{"ZeroDivisionError", "division by zero"}}},
		{"an exception", exceptions.New("KeyError", "'k'"),
			[][2]string{{"KeyError", "'k'"}}},
		{"an exception with a cause", &exceptions.Exception{Name: "Outer", Message: "outer", Language: "python",
			Cause: &exceptions.Exception{Name: "Inner", Message: "inner", Language: "rust"}},
			[][2]string{{"Outer", "outer"}, {"Inner", "inner"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := exceptions.From(tt.err)
			if got := chainOf(want); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("test expectation is off: exceptions.From gives %v", got)
			}
			fns := []*uncurry.Function{
				uncurry.Func0E("f", func() (int, error) { return 0, tt.err }),
				uncurry.Proc1E("f", func(int) error { return tt.err }),
				uncurry.Func3E("f", func(a, b, c int) (string, error) { return "", tt.err }),
			}
			adapted, err := uncurry.Adapt("f", func(a, b, c, d int) (int, error) { return 0, tt.err })
			if err != nil {
				t.Fatal(err)
			}
			fns = append(fns, adapted)
			for _, f := range fns {
				reply := handle(t, f, encodeArgs(t, zeros(len(f.Params))...))
				if !bytes.HasPrefix(reply, errorHeader) {
					t.Fatalf("reply %x does not start with the canonical error header", reply)
				}
				x := replyError(t, reply)
				if got := chainOf(x); fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("%d params: chain %v, want %v", len(f.Params), got, tt.want)
				}
				for lvl, w := x, want; lvl != nil; lvl, w = lvl.Cause, w.Cause {
					if w.Language != "" && lvl.Language != w.Language {
						t.Errorf("%s: language %q, want %q", lvl.Name, lvl.Language, w.Language)
					}
				}
				if x.Language == "go" && len(x.Traceback) == 0 {
					t.Errorf("%d params: the outermost level has no traceback", len(f.Params))
				}
				for _, fr := range x.Traceback {
					if strings.Contains(fr.Function, "virgil/uncurry.") && !strings.Contains(fr.Function, "_test") &&
						!strings.Contains(fr.Function, "TestReturnedErrors") {
						t.Errorf("%d params: a glue frame %s", len(f.Params), fr.Function)
					}
				}
			}
		})
	}
}

// TestPanics checks that a panic in the adapted function becomes virgil.Panic with the panicking
// frames, and that the process (this test) carries on.
func TestPanics(t *testing.T) {
	errPanic := &namedError{name: "ValueError", msg: "bad value"}
	tests := []struct {
		name      string
		fn        func() int
		message   string
		cause     string // the name of the cause, "" for none
		lastFrame string // a substring of the last frame's function
	}{
		{"explicit", func() int { panic("boom") }, "boom", "", "uncurry_test.TestPanics"},
		{"nil map write", func() int {
			var m map[string]int
			m["boom"]++
			return 0
		}, "assignment to entry in nil map", "", "uncurry_test.TestPanics"},
		{"error value", func() int { panic(errPanic) }, "bad value", "ValueError", "uncurry_test.TestPanics"},
		{"index out of range", func() int {
			var xs []int
			return xs[len(xs)+1]
		}, "runtime error: index out of range [1] with length 0", "", "uncurry_test.TestPanics"},
		{"nil panic", func() int { panic(nil) }, "panic called with nil argument", "", "uncurry_test.TestPanics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adapted, err := uncurry.Adapt("crash", tt.fn)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []*uncurry.Function{uncurry.Func0("crash", tt.fn), adapted} {
				reply := handle(t, f, encodeArgs(t))
				x := replyError(t, reply)
				if x.Name != exceptions.Panic || x.Message != tt.message {
					t.Errorf("got %s: %q, want %s: %q", x.Name, x.Message, exceptions.Panic, tt.message)
				}
				if len(x.Traceback) == 0 {
					t.Fatalf("no traceback")
				}
				if last := x.Traceback[len(x.Traceback)-1]; !strings.Contains(last.Function, tt.lastFrame) || last.Line == 0 {
					t.Errorf("last frame %+v, want the panicking function %s", last, tt.lastFrame)
				}
				switch {
				case tt.cause == "" && x.Cause != nil:
					t.Errorf("cause %v, want none", x.Cause)
				case tt.cause != "" && (x.Cause == nil || x.Cause.Name != tt.cause):
					t.Errorf("cause %v, want %s", x.Cause, tt.cause)
				}
			}
		})
	}
}

// TestPanicInProcedures covers panics in the other shapes, with arguments already lifted.
func TestPanicInProcedures(t *testing.T) {
	fns := []*uncurry.Function{
		uncurry.Proc0("p", func() { panic("p0") }),
		uncurry.Proc1E("p", func(int) error { panic("p1") }),
		uncurry.Proc2("p", func(int, int) { panic("p2") }),
		uncurry.Func3E("p", func(a, b, c int) (int, error) { panic("p3") }),
	}
	for i, f := range fns {
		x := replyError(t, handle(t, f, encodeArgs(t, zeros(len(f.Params))...)))
		if x.Name != exceptions.Panic || x.Message != fmt.Sprintf("p%d", i) {
			t.Errorf("%d params: %v", len(f.Params), x)
		}
	}
}

// TestUnencodableResults checks that a result that cannot be lowered gives one error envelope
// (virgil.ResultError), not a half-written success.
func TestUnencodableResults(t *testing.T) {
	type withChan struct {
		N int
		C chan int
	}
	tests := []struct {
		name    string
		fn      *uncurry.Function
		errName string
		message string
	}{
		{"chan", uncurry.Func0("f", func() chan int { return make(chan int) }),
			exceptions.ResultError, "f: the result could not be lowered: msgpack: Encode(unsupported chan int)"},
		{"func", uncurry.Func0("f", func() func() { return func() {} }),
			exceptions.ResultError, "f: the result could not be lowered: msgpack: Encode(unsupported func())"},
		{"struct with a chan", uncurry.Func0("f", func() withChan { return withChan{N: 1, C: make(chan int)} }),
			exceptions.ResultError, "f: the result could not be lowered: msgpack: Encode(unsupported chan int)"},
		{"list with a func", uncurry.Func0E("f", func() ([]any, error) { return []any{1, "two", func() {}}, nil }),
			exceptions.ResultError, "f: the result could not be lowered: msgpack: Encode(unsupported func())"},
		{"encoder fails midway", uncurry.Func0("f", func() halfEncoder { return halfEncoder{} }),
			exceptions.ResultError, "f: the result could not be lowered: encoder gave up"},
		{"encoder panics midway", uncurry.Func0("f", func() halfEncoder { return halfEncoder{panics: true} }),
			exceptions.Panic, "encoder exploded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := handle(t, tt.fn, encodeArgs(t))
			if !bytes.HasPrefix(reply, errorHeader) {
				t.Fatalf("reply %x does not start with the error header", reply)
			}
			x := replyError(t, reply)
			if x.Name != tt.errName || x.Message != tt.message {
				t.Errorf("got %s: %q\nwant %s: %q", x.Name, x.Message, tt.errName, tt.message)
			}
		})
	}
}

// TestAdaptUnliftableParam: a parameter type values cannot be lifted into fails per call with
// virgil.ArgumentError, not at adaptation and not with a panic.
func TestAdaptUnliftableParam(t *testing.T) {
	f, err := uncurry.Adapt("f", func(c chan int) {})
	if err != nil {
		t.Fatal(err)
	}
	if f.Params[0].Type != "any" {
		t.Errorf("a chan parameter is described as %q", f.Params[0].Type)
	}
	x := replyError(t, handle(t, f, encodeArgs(t, nil)))
	// The message has a doubled colon: codec.Accepts reports the empty path as ": values cannot
	// be lifted ...", and describeArgError puts another ": " in front of it.
	if want := "f: argument 1: values cannot be lifted into Go type chan int"; x.Name != exceptions.ArgumentError || x.Message != want {
		t.Errorf("got %s: %q, want %q", x.Name, x.Message, want)
	}
}

// failingWriter is a ReplyWriter whose memory runs out after limit bytes, like a guest whose
// virgil_realloc fails.
type failingWriter struct {
	replyBuffer
	limit int
}

var errFull = errors.New("out of memory")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.limit {
		return 0, errFull
	}
	return w.replyBuffer.Write(p)
}

func (w *failingWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *failingWriter) WriteByte(c byte) error {
	if w.Len()+1 > w.limit {
		return errFull
	}
	return w.replyBuffer.WriteByte(c)
}

// TestWriterFailure checks that a writer that runs out of memory never leaves a half-written
// envelope behind: the reply is either complete or empty (the transport then reports it).
func TestWriterFailure(t *testing.T) {
	big := strings.Repeat("x", 1000)
	f := uncurry.Func1("echo", func(s string) string { return s })
	args := encodeArgs(t, big)
	var full replyBuffer
	f.Handler(&full, args)
	tests := []struct {
		limit int
		want  string // "ok", "error" or "" for an empty reply
	}{
		{0, ""},
		{3, ""}, // not even the ok header fits
		{10, ""},
		{full.Len() - 1, "error"}, // the success does not fit, an error record does
		{full.Len(), "ok"},
		{2 * full.Len(), "ok"},
	}
	for _, tt := range tests {
		w := &failingWriter{limit: tt.limit}
		f.Handler(w, args)
		got := ""
		if w.Len() > 0 {
			ok, _, err := codec.SplitEnvelope(w.Bytes())
			if err != nil {
				t.Errorf("limit %d: reply %x... is not one envelope: %v", tt.limit, w.Bytes()[:min(w.Len(), 16)], err)
				continue
			}
			got = map[bool]string{true: "ok", false: "error"}[ok]
		}
		if got != tt.want {
			t.Errorf("limit %d: reply %q, want %q", tt.limit, got, tt.want)
		}
		if got == "error" {
			if x := replyError(t, w.Bytes()); x.Name != exceptions.ResultError || !strings.Contains(x.Message, "out of memory") {
				t.Errorf("limit %d: %v", tt.limit, x)
			}
		}
	}
}

// zeros returns n integer arguments.
func zeros(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = 0
	}
	return out
}

// TestGlueFramesTrimmed checks that leading frames of Virgil's own machinery (package guest,
// cgo's trampolines, this package) are dropped from a reply's traceback, and that this never
// changes an exception the adapted function still holds: a package-level *exceptions.Exception
// returned by many calls, perhaps concurrently, must not be written to.
func TestGlueFramesTrimmed(t *testing.T) {
	frames := func() []exceptions.Frame {
		return []exceptions.Frame{
			{Function: "_cgoexp_0123_lookup", File: "_cgo_gotypes.go", Line: 1},
			{Function: "github.com/virgilffi/virgil/guest.Serve", File: "serve.go", Line: 2},
			{Function: "main.lookup", File: "virgil_exports.go", Line: 3},
			{Function: "main.Lookup", File: "main.go", Line: 4},
		}
	}
	user := []exceptions.Frame{{Function: "main.Lookup", File: "main.go", Line: 4}}
	tests := []struct {
		name string
		fn   func(x *exceptions.Exception) *uncurry.Function
		top  func(got *exceptions.Exception) *exceptions.Exception // the level that holds x's frames
	}{
		{"returned", func(x *exceptions.Exception) *uncurry.Function {
			return uncurry.Func0E("lookup", func() (int, error) { return 0, x })
		}, func(got *exceptions.Exception) *exceptions.Exception { return got }},
		{"panicked", func(x *exceptions.Exception) *uncurry.Function {
			return uncurry.Proc0("lookup", func() { panic(x) })
		}, func(got *exceptions.Exception) *exceptions.Exception { return got.Cause }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &exceptions.Exception{Name: "KeyError", Message: "'k'", Language: "go", Traceback: frames()}
			got := tt.top(replyError(t, handle(t, tt.fn(x), encodeArgs(t))))
			if got == nil || framesText(got.Traceback) != framesText(user) {
				t.Errorf("reply traceback %+v, want only the user's frame %+v", got, user)
			}
			if framesText(x.Traceback) != framesText(frames()) {
				t.Errorf("the handler changed the function's own exception: its traceback is now %+v", x.Traceback)
			}
		})
	}
}

// framesText renders frames as function@file:line, one after the other.
func framesText(frames []exceptions.Frame) string {
	var b strings.Builder
	for _, f := range frames {
		fmt.Fprintf(&b, "%s@%s:%d ", f.Function, f.File, f.Line)
	}
	return b.String()
}

// TestReturnedErrorBeyondLimits checks that an exception beyond the ABI's limits (a chain of 300
// records, 5,000 frames) is cut with notes, not turned into an empty reply.
func TestReturnedErrorBeyondLimits(t *testing.T) {
	var long *exceptions.Exception
	for range 300 {
		long = &exceptions.Exception{Name: "Level", Message: "deep", Language: "python", Cause: long}
	}
	long.Traceback = make([]exceptions.Frame, 5000)
	f := uncurry.Proc0E("f", func() error { return long })
	reply := handle(t, f, encodeArgs(t))
	if !bytes.HasPrefix(reply, errorHeader) {
		t.Fatalf("reply %x is not an error envelope", reply)
	}
	x := replyError(t, reply)
	if len(chainOf(x)) != exceptions.MaxCauseDepth || len(x.Traceback) != exceptions.MaxTracebackFrames {
		t.Errorf("%d levels and %d frames", len(chainOf(x)), len(x.Traceback))
	}
}
