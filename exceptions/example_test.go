package exceptions_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/virgilffi/virgil/exceptions"
)

func ExampleFrom() {
	err := fmt.Errorf("load settings: %w", fmt.Errorf("read header: %w", io.EOF))
	exc := exceptions.From(err)
	for x := exc; x != nil; x = x.Cause {
		fmt.Printf("%s: %q\n", x.Name, x.Message)
	}

	// The record crosses the boundary and comes back: the cause level is
	// named after the registered sentinel, so errors.Is still holds.
	b, _ := exceptions.Marshal(exc)
	back, _ := exceptions.Unmarshal(b)
	fmt.Println(errors.Is(back, io.EOF))
	fmt.Println(back)
	// Output:
	// EOFError: "load settings"
	// EOFError: "read header"
	// EOFError: "EOF"
	// true
	// load settings: read header: EOF
}

func ExampleFrom_missingFile() {
	_, err := os.ReadFile("/nonexistent/app.toml")
	exc := exceptions.From(fmt.Errorf("load config: %w", err))
	for x := exc; x != nil; x = x.Cause {
		errno, _ := x.Errno()
		fmt.Printf("%s: %q errno=%d filename=%q\n", x.Name, x.Message, errno, x.Filename())
	}
	fmt.Println(exc)

	// A FileNotFoundError from any language is fs.ErrNotExist again.
	b, _ := exceptions.Marshal(&exceptions.Exception{
		Name: "FileNotFoundError", Message: "No such file or directory (os error 2)", Language: "rust",
		Attributes: exceptions.Attributes{"errno": int64(2), "filename": "/etc/app.toml"},
	})
	back, _ := exceptions.Unmarshal(b)
	var pathErr *fs.PathError
	fmt.Println(errors.Is(back, fs.ErrNotExist), errors.As(back, &pathErr), pathErr.Path)
	// Output:
	// FileNotFoundError: "load config" errno=0 filename=""
	// FileNotFoundError: "open /nonexistent/app.toml: no such file or directory" errno=2 filename="/nonexistent/app.toml"
	// load config: open /nonexistent/app.toml: no such file or directory
	// true true /etc/app.toml
}

func ExampleException_Format() {
	exc := &exceptions.Exception{
		Name: "RuntimeError", Message: "job failed", Language: "python",
		Traceback: []exceptions.Frame{{Function: "run", File: "job.py", Line: 8}},
		Cause: &exceptions.Exception{
			Name: "ZeroDivisionError", Message: "division by zero", Language: "go",
			Traceback: []exceptions.Frame{
				{Function: "main.main", File: "/src/main.go", Line: 12},
				{Function: "main.divide", File: "/src/divide.go", Line: 30},
			},
			Notes: []string{"b came from the config file"},
		},
	}
	fmt.Printf("%v\n\n", exc)
	fmt.Printf("%+v\n", exc)
	// Output:
	// job failed: division by zero
	//
	// Traceback (most recent call last):
	//   File "/src/main.go", line 12, in main.main [go]
	//   File "/src/divide.go", line 30, in main.divide [go]
	// ZeroDivisionError: division by zero
	//   note: b came from the config file
	//
	// The above exception was the direct cause of the following exception:
	//
	// Traceback (most recent call last):
	//   File "job.py", line 8, in run [python]
	// RuntimeError: job failed
}

// ErrQuotaExceeded is a sentinel a Go guest returns and a Go host checks
// for, with a Python service in between.
var ErrQuotaExceeded = errors.New("quota exceeded")

func ExampleRegister() {
	exceptions.Register(ErrQuotaExceeded, "billing.QuotaExceeded")

	// The guest converts its error: the level gets the registered name.
	exc := exceptions.From(fmt.Errorf("charge card: %w", ErrQuotaExceeded))
	fmt.Println(exc.Cause.Name)

	// A record with that name, from any language, is the sentinel again.
	b, _ := exceptions.Marshal(&exceptions.Exception{
		Name: "billing.QuotaExceeded", Message: "over the monthly quota", Language: "python",
	})
	back, _ := exceptions.Unmarshal(b)
	fmt.Println(errors.Is(back, ErrQuotaExceeded))
	// Output:
	// billing.QuotaExceeded
	// true
}

func ExampleFromPanic() {
	call := func() (exc *exceptions.Exception) {
		defer func() {
			exc = exceptions.FromPanic(recover())
		}()
		var m map[string]int
		m["answer"] = 42 // panics
		return nil
	}
	exc := call()
	fmt.Println(exc.Name, "-", exc.Message)
	// Output:
	// virgil.Panic - assignment to entry in nil map
}
