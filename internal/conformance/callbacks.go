package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pkg/errors"

	"github.com/virgilffi/virgil/internal/typedjson"
)

// CallbackHost is a Host that passes its own functions to the guest as closures, for the cases
// of cabi/conformance/callbacks.json.
type CallbackHost interface {
	Host
	// Callback returns the host's function called name (identity, double, add or fail), in the
	// form Call passes as a closure.
	Callback(name string) (any, error)
	// Language is the host's language as exception records name it ("go").
	Language() string
}

// CallbackErrorName is the exception name of the fail callback.
const CallbackErrorName = "CallbackError"

// CallbackError is the error the Go fail callback returns.
type CallbackError struct{ X int64 }

func (e CallbackError) Error() string { return fmt.Sprintf("callback failed on %d", e.X) }

// ExceptionName names the error on the wire.
func (CallbackError) ExceptionName() string { return CallbackErrorName }

// GoCallback returns the Go function of a callback the cases name: identity(x) -> x,
// double(x) -> 2x, add(a, b) -> a + b, fail(x) fails with CallbackError (with a pkg/errors stack).
func GoCallback(name string) (any, error) {
	switch name {
	case "identity":
		return func(x any) any { return x }, nil
	case "double":
		return func(x int64) int64 { return 2 * x }, nil
	case "add":
		return func(a, b int64) int64 { return a + b }, nil
	case "fail":
		return func(x int64) (int64, error) { return 0, errors.WithStack(CallbackError{x}) }, nil
	}
	return nil, fmt.Errorf("callbacks.json names an unknown callback %q", name)
}

// LoadCallbacks reads cabi/conformance/callbacks.json.
func LoadCallbacks() ([]Case, error) {
	raw, err := os.ReadFile(filepath.Join(typedjson.RepoRoot(), "cabi", "conformance", "callbacks.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Cases []Case `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("callbacks.json: %w", err)
	}
	return doc.Cases, nil
}

// RunCallbacks runs every case of callbacks.json against h as subtests of t.
func RunCallbacks(t *testing.T, h CallbackHost) {
	cases, err := LoadCallbacks()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if err := c.CheckCallbacks(h); err != nil {
				t.Error(err)
			}
		})
	}
}

// CheckCallbacks runs a case of callbacks.json (a call, or a sequence of calls) against h.
func (c Case) CheckCallbacks(h CallbackHost) error {
	steps := c.Sequence
	if steps == nil {
		steps = []Case{c}
	}
	for i, step := range steps {
		if step.Error != nil {
			step.Error.language = h.Language()
		}
		if err := step.Check(h); err != nil {
			if len(c.Sequence) > 0 {
				return fmt.Errorf("step %d (%s): %w", i+1, step.Function, err)
			}
			return err
		}
	}
	return nil
}

// parseArgs reads the case's arguments: typed JSON, or {"callback": NAME} for a host function.
func (c Case) parseArgs(h Host) ([]any, error) {
	args := make([]any, len(c.Args))
	for i, a := range c.Args {
		var cb struct {
			Callback *string `json:"callback"`
		}
		if json.Unmarshal(a, &cb) == nil && cb.Callback != nil {
			ch, ok := h.(CallbackHost)
			if !ok {
				return nil, fmt.Errorf("argument %d is a callback, which this host does not pass", i+1)
			}
			f, err := ch.Callback(*cb.Callback)
			if err != nil {
				return nil, err
			}
			args[i] = f
			continue
		}
		v, err := typedjson.Parse(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return args, nil
}

// Must returns f, panicking on err: for tests that name a callback they know.
func Must(f any, err error) any {
	if err != nil {
		panic(err)
	}
	return f
}
