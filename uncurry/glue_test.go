package uncurry

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// glueReply is a ReplyWriter for these tests.
type glueReply struct{ bytes.Buffer }

func (r *glueReply) Discard() { r.Truncate(0) }

// callFailing runs f's handler on args and returns the error it replied.
func callFailing(t *testing.T, f *Function, args ...any) *exceptions.Exception {
	t.Helper()
	var in bytes.Buffer
	if err := codec.NewEncoder(&in).EncodeArgs(args...); err != nil {
		t.Fatal(err)
	}
	var out glueReply
	f.Handler(&out, in.Bytes())
	var x *exceptions.Exception
	if err := codec.DecodeReply(out.Bytes(), nil); !errors.As(err, &x) {
		t.Fatalf("%s: reply %x is not an error: %v", f.Name, out.Bytes(), err)
	}
	return x
}

func TestIsGlue(t *testing.T) {
	glue := []exceptions.Frame{
		{Function: "github.com/virgilffi/virgil/guest.Serve", File: "github.com/virgilffi/virgil/guest/serve.go"},
		{Function: "github.com/virgilffi/virgil/uncurry.(*call).reply"},
		{Function: "github.com/virgilffi/virgil/uncurry.core0[...].func1"},
		{Function: "github.com/virgilffi/virgil/host.(*Library).Call"},
		{Function: "github.com/virgilffi/virgil/codec.DecodeReply"},
		{Function: "github.com/virgilffi/virgil/exceptions.From"},
		{Function: "main._cgoexp_0a1b2c_virgil_call"},
		{Function: "_cgoexp_0a1b2c_virgil_call"},
		{Function: "runtime.cgocallbackg1"},
		{Function: "runtime/cgo.handle"},
		{Function: "crosscall2"},
		{Function: "main.virgil_call", File: "example.com/app/virgil_exports.go"},
		{Function: "main._Cfunc_x", File: "example.com/app/_cgo_gotypes.go"},
		{Function: "main.init.Proc0.func1"},
		{Function: "main.init.Func2E.core2[...].func1"},
		{Function: "main.init.handler1[...].func3"},
	}
	for _, f := range glue {
		if !isGlue(f) {
			t.Errorf("isGlue(%+v) = false", f)
		}
	}
	user := []exceptions.Frame{
		{Function: "main.divide", File: "example.com/app/main.go"},
		{Function: "example.com/app.LoadConfig", File: "example.com/app/config.go"},
		{Function: "github.com/virgilffi/virgil/uncurry_test.TestX"},
		{Function: "github.com/virgilffi/virgil/internal/conformance.ReadFile"},
		{Function: "github.com/virgilffi/virgil/guestbook.Sign"}, // a prefix, not the package
		{Function: "os.ReadFile", File: "os/file.go"},
		{Function: "runtime.gopanic"},
		{Function: "main.Func1"},
	}
	for _, f := range user {
		if isGlue(f) {
			t.Errorf("isGlue(%+v) = true", f)
		}
	}
}

func TestTrimGlueEverywhere(t *testing.T) {
	u1 := exceptions.Frame{Function: "main.outer", File: "example.com/app/main.go", Line: 3, Language: "go"}
	u2 := exceptions.Frame{Function: "main.inner", File: "example.com/app/main.go", Line: 9, Language: "go"}
	g := func(fn string) exceptions.Frame { return exceptions.Frame{Function: fn, Language: "go"} }
	pyGlue := exceptions.Frame{Function: "github.com/virgilffi/virgil/uncurry.looksLikeGlue", File: "virgil/_call.py", Language: "python"}
	rust := &exceptions.Exception{Name: "OSError", Language: "rust",
		Traceback: []exceptions.Frame{{Function: "crosscall2", File: "src/lib.rs", Language: "rust"}}}
	inner := &exceptions.Exception{Name: "ValueError", Language: "go", Cause: rust,
		Traceback: []exceptions.Frame{g("runtime/cgo.x"), g("github.com/virgilffi/virgil/host.(*Library).Call"), u2}}
	python := &exceptions.Exception{Name: "KeyError", Language: "python", Cause: inner,
		Traceback: []exceptions.Frame{pyGlue}}
	onlyGlue := &exceptions.Exception{Name: "virgil.ArgumentError", Language: "go", Cause: python,
		Traceback: []exceptions.Frame{g("github.com/virgilffi/virgil/uncurry.(*call).args")}}
	top := &exceptions.Exception{Name: "Exception", Language: "go", Cause: onlyGlue,
		Traceback: []exceptions.Frame{
			g("_cgoexp_1_virgil_call"), g("github.com/virgilffi/virgil/guest.Serve"), u1,
			g("github.com/virgilffi/virgil/uncurry.handler1[...].func1"), u2,
			{Function: "main.virgil_x", File: "example.com/app/virgil_exports.go", Language: "go"},
		}}
	before := deepCopy(top)
	got := trimGlue(top)

	if !reflect.DeepEqual(got.Traceback, []exceptions.Frame{u1, u2}) {
		t.Errorf("top: %+v", got.Traceback)
	}
	if got.Cause.Traceback != nil {
		t.Errorf("a level raised by the glue keeps frames: %+v", got.Cause.Traceback)
	}
	if !reflect.DeepEqual(got.Cause.Cause.Traceback, []exceptions.Frame{pyGlue}) {
		t.Errorf("a Python level was trimmed: %+v", got.Cause.Cause.Traceback)
	}
	if !reflect.DeepEqual(got.Cause.Cause.Cause.Traceback, []exceptions.Frame{u2}) {
		t.Errorf("an inner Go level under a Python one: %+v", got.Cause.Cause.Cause.Traceback)
	}
	if r := got.Cause.Cause.Cause.Cause; r == nil || !reflect.DeepEqual(r.Traceback, rust.Traceback) {
		t.Errorf("the Rust level was changed: %+v", r)
	}
	if !reflect.DeepEqual(deepCopy(top), before) {
		t.Error("trimGlue changed its argument")
	}
	if trimGlue(nil) != nil {
		t.Error("trimGlue(nil) is not nil")
	}
	// The copy keeps Go identity: errors.Is still reaches the original.
	orig := exceptions.From(&fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT})
	if x := trimGlue(orig); !errors.Is(x, fs.ErrNotExist) || x.Filename() != "/x" {
		t.Errorf("trimmed copy lost errors.Is or attributes: %+v", x)
	}
}

// deepCopy copies the exported fields of a chain, for comparing before and after.
func deepCopy(x *exceptions.Exception) *exceptions.Exception {
	if x == nil {
		return nil
	}
	c := &exceptions.Exception{Name: x.Name, Message: x.Message, Language: x.Language,
		Traceback: append([]exceptions.Frame(nil), x.Traceback...), Notes: x.Notes, Attributes: x.Attributes}
	c.Cause = deepCopy(x.Cause)
	return c
}

// TestUserFrameOfReturnedError: a function of another package (here the
// standard library's) that returns an error without a stack gets its own
// frame (the line of its definition, the file as -trimpath writes it) and
// no glue, through every adapter.
func TestUserFrameOfReturnedError(t *testing.T) {
	atoiFrame := exceptions.FuncFrame(strconv.Atoi)
	readFrame := exceptions.FuncFrame(os.ReadFile)
	if !strings.HasPrefix(atoiFrame.File, "strconv/") || readFrame.File != "os/file.go" || atoiFrame.Line == 0 {
		t.Fatalf("FuncFrame: %+v %+v", atoiFrame, readFrame)
	}
	adapted, err := Adapt("atoi", strconv.Atoi)
	if err != nil {
		t.Fatal(err)
	}
	handler, err := HandlerOf("atoi", strconv.Atoi)
	if err != nil {
		t.Fatal(err)
	}
	viaHandlerOf := &Function{Name: "atoi", Handler: handler}
	for _, f := range []*Function{Func1E("atoi", strconv.Atoi), adapted, viaHandlerOf} {
		x := callFailing(t, f, "12a")
		if x.Name != "ValueError" || x.Message != `strconv.Atoi: parsing "12a": invalid syntax` || x.Cause != nil {
			t.Errorf("%s: %q %q %v", f.Name, x.Name, x.Message, x.Cause)
		}
		if !reflect.DeepEqual(x.Traceback, []exceptions.Frame{atoiFrame}) {
			t.Errorf("%s: traceback %+v, want [%+v]", f.Name, x.Traceback, atoiFrame)
		}
	}
	x := callFailing(t, Func1E("read", os.ReadFile), "/nonexistent/virgil-glue-test")
	if x.Name != "FileNotFoundError" || x.Filename() != "/nonexistent/virgil-glue-test" {
		t.Errorf("read: %q %v", x.Name, x.Attributes)
	}
	if n, ok := x.Errno(); !ok || n != 2 {
		t.Errorf("read: errno %d %v", n, ok)
	}
	if !errors.Is(x, fs.ErrNotExist) || !errors.Is(x, syscall.ENOENT) {
		t.Error("read: errors.Is(fs.ErrNotExist / ENOENT) is false after crossing")
	}
	if !reflect.DeepEqual(x.Traceback, []exceptions.Frame{readFrame}) {
		t.Errorf("read: traceback %+v", x.Traceback)
	}
	// A procedure returning only an error, by way of Proc1E.
	x = callFailing(t, Proc1E("remove", os.Remove), "/nonexistent/virgil-glue-test")
	if want := exceptions.FuncFrame(os.Remove); x.Name != "FileNotFoundError" || !reflect.DeepEqual(x.Traceback, []exceptions.Frame{want}) {
		t.Errorf("remove: %q %+v", x.Name, x.Traceback)
	}
}
