package exceptions

import (
	"fmt"
	"strings"
	"testing"
)

// threeLevels is a chain across three languages: Python caught a Go error
// caused by a Rust one.
func threeLevels() *Exception {
	return &Exception{
		Name: "RuntimeError", Message: "job failed", Language: "python",
		Traceback: []Frame{
			{Function: "<module>", File: "main.py", Line: 3},
			{Function: "run", File: "job.py", Line: 8},
		},
		Cause: &Exception{
			Name: "fetch.Error", Message: "fetch", Language: "go",
			Traceback: []Frame{{Function: "main.fetch", File: "fetch.go", Line: 30, Column: 2}},
			Notes:     []string{"retried 3 times"},
			Cause: &Exception{
				Name: "std::io::Error", Message: "connection refused", Language: "rust",
				Traceback: []Frame{{Function: "lib::connect", File: "src/lib.rs", Line: 77, Column: 9}},
			},
		},
	}
}

func TestFormatTraceback(t *testing.T) {
	got := fmt.Sprintf("%+v", threeLevels())
	wantLines := []string{
		"Traceback (most recent call last):",
		`  File "src/lib.rs", line 77, in lib::connect [rust]`,
		"std::io::Error: connection refused",
		"",
		"The above exception was the direct cause of the following exception:",
		"",
		"Traceback (most recent call last):",
		`  File "fetch.go", line 30, in main.fetch [go]`,
		"fetch.Error: fetch",
		"  note: retried 3 times",
		"",
		"The above exception was the direct cause of the following exception:",
		"",
		"Traceback (most recent call last):",
		`  File "main.py", line 3, in <module> [python]`,
		`  File "job.py", line 8, in run [python]`,
		"RuntimeError: job failed",
	}
	if want := strings.Join(wantLines, "\n"); got != want {
		t.Errorf("%%+v:\n%s\n\nwant:\n%s", got, want)
	}
}

func TestFormatVerbs(t *testing.T) {
	e := threeLevels()
	want := "job failed: fetch: connection refused"
	for _, tc := range []struct{ format, want string }{
		{"%v", want},
		{"%s", want},
		{"%q", fmt.Sprintf("%q", want)},
		{"%.12s", want[:12]},
		{"%d", "%!d(*exceptions.Exception=" + want + ")"},
	} {
		if got := fmt.Sprintf(tc.format, e); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.format, got, tc.want)
		}
	}
	if got := fmt.Sprintf("%#v", &Exception{Name: "E"}); !strings.Contains(got, `Name:"E"`) {
		t.Errorf("%%#v: %s", got)
	}
	if got := (&Exception{Name: "E"}).Error(); got != "E" {
		t.Errorf("Error() without a message: %q", got)
	}
	if got := fmt.Sprintf("%+v", &Exception{Name: "E", Message: "m"}); got != "E: m" {
		t.Errorf("%%+v without frames: %q", got)
	}
	var nilExc *Exception
	if got := fmt.Sprintf("%v %+v", nilExc, nilExc); got != "<nil> <nil>" {
		t.Errorf("nil: %q", got)
	}
}

func TestFormatOwnTraceback(t *testing.T) {
	got := fmt.Sprintf("%+v", New("ValueError", "bad"))
	if !strings.HasPrefix(got, "Traceback (most recent call last):\n") ||
		!strings.Contains(got, "in "+pkgPath+".TestFormatOwnTraceback [go]\nValueError: bad") {
		t.Errorf("%%+v of New:\n%s", got)
	}
}

func TestUnwrap(t *testing.T) {
	e := threeLevels()
	if e.Unwrap() != e.Cause {
		t.Error("Unwrap is not the cause")
	}
	if err := e.Cause.Cause.Unwrap(); err != nil {
		t.Errorf("Unwrap without a cause is %#v, not a nil interface", err)
	}
	if e.ExceptionName() != "RuntimeError" {
		t.Error("ExceptionName")
	}
}

func TestNewf(t *testing.T) {
	e := Newf(ArgumentError, "add: argument %d: expected int, got %s", 2, "str")
	if e.Name != "virgil.ArgumentError" || e.Message != "add: argument 2: expected int, got str" ||
		e.Language != "go" || lastFunction(e.Traceback) != pkgPath+".TestNewf" {
		t.Errorf("got %#v", exported(e))
	}
}
