// Package conformance runs the cases of cabi/conformance/cases.json against a host-and-guest
// pair, so every host's tests check every guest with the same data.
package conformance

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/internal/typedjson"
)

// Case is one conformance case.
type Case struct {
	Name       string            `json:"name"`
	Function   string            `json:"function"`
	Args       []json.RawMessage `json:"args"`
	RawArgs    *string           `json:"raw_args"`
	LargeBytes int               `json:"large_bytes"`
	Result     json.RawMessage   `json:"result"`
	Error      *Expect           `json:"error"`
	// Sequence holds the steps of a case that runs several calls in order (callbacks.json).
	Sequence []Case `json:"sequence"`
}

// Expect is what a case expects of a failure.
type Expect struct {
	Name            string   `json:"name"`
	NameAnyOf       []string `json:"name_any_of"`
	Chain           []string `json:"chain"`
	Frames          bool     `json:"frames"`
	MessageContains string   `json:"message_contains"`
	// ChainContains names levels that appear, in this order, in the cause chain from the
	// outermost down; CallbackFrames asks that the level named CallbackError has traceback
	// frames in the host's language (callbacks.json).
	ChainContains  []string `json:"chain_contains"`
	CallbackFrames bool     `json:"callback_frames"`
	// Attributes, Levels and UserFrame are the expectations of errors.json (see matchOrdinary).
	Attributes map[string]json.RawMessage `json:"attributes"`
	Levels     []LevelExpect              `json:"levels"`
	UserFrame  string                     `json:"user_frame"`
	// language is the host's language, for CallbackFrames.
	language string
	// glue holds errors.json's glue markers.
	glue []string
}

// Host is what the runner needs of a host bound to one guest library.
type Host interface {
	// Call lowers args, calls function and lifts its result into a Go any.
	Call(function string, args []any) (any, error)
	// CallRaw sends raw as the argument bytes and lifts the reply, ignoring a success's value.
	CallRaw(function string, raw []byte) error
}

// Load reads cabi/conformance/cases.json.
func Load() ([]Case, error) {
	raw, err := os.ReadFile(filepath.Join(typedjson.RepoRoot(), "cabi", "conformance", "cases.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Cases []Case `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("cases.json: %w", err)
	}
	return doc.Cases, nil
}

// Run runs every case against h as subtests of t.
func Run(t *testing.T, h Host) {
	cases, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if err := c.Check(h); err != nil {
				t.Error(err)
			}
		})
	}
}

// LargePayload returns the n bytes of a large_bytes case: byte i is i mod 251.
func LargePayload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// Check runs the case against h and says what went wrong, if anything.
func (c Case) Check(h Host) error {
	switch {
	case c.LargeBytes > 0:
		want := LargePayload(c.LargeBytes)
		got, err := h.Call(c.Function, []any{want})
		if err != nil {
			return err
		}
		if b, ok := got.([]byte); !ok || !bytes.Equal(b, want) {
			return fmt.Errorf("%d bytes did not come back unchanged (got %T of length %d)", len(want), got, len(b))
		}
		return nil
	case c.RawArgs != nil:
		raw, err := hex.DecodeString(*c.RawArgs)
		if err != nil {
			return err
		}
		return c.Error.Match(h.CallRaw(c.Function, raw))
	}
	args, err := c.parseArgs(h)
	if err != nil {
		return err
	}
	got, err := h.Call(c.Function, args)
	if c.Error != nil {
		return c.Error.Match(err)
	}
	if err != nil {
		return fmt.Errorf("unexpected error: %+v", err)
	}
	want, err := typedjson.Parse(c.Result)
	if err != nil {
		return err
	}
	return typedjson.Equal(want, got)
}

// Match checks err against the expectation.
func (e *Expect) Match(err error) error {
	var x *exceptions.Exception
	if !errors.As(err, &x) {
		return fmt.Errorf("want an exception, got %v", err)
	}
	switch {
	case e.Name != "" && x.Name != e.Name:
		return fmt.Errorf("want exception %s, got %+v", e.Name, x)
	case len(e.NameAnyOf) > 0 && !slices.Contains(e.NameAnyOf, x.Name):
		return fmt.Errorf("want one of %v, got %+v", e.NameAnyOf, x)
	case e.MessageContains != "" && !strings.Contains(x.Message, e.MessageContains):
		return fmt.Errorf("want a message containing %q, got %q", e.MessageContains, x.Message)
	}
	if len(e.ChainContains) > 0 {
		next := 0
		var names []string
		for level := x; level != nil; level = level.Cause {
			names = append(names, level.Name)
			if next < len(e.ChainContains) && level.Name == e.ChainContains[next] {
				next++
			}
		}
		if next < len(e.ChainContains) {
			return fmt.Errorf("want %v in this order in the chain, got %v", e.ChainContains, names)
		}
	}
	if e.CallbackFrames {
		var found bool
		for level := x; level != nil; level = level.Cause {
			if level.Name != CallbackErrorName {
				continue
			}
			found = true
			if len(level.Traceback) == 0 || (e.language != "" && level.Language != e.language) {
				return fmt.Errorf("level %s: want traceback frames in %s, got %d frames in %q", level.Name, e.language, len(level.Traceback), level.Language)
			}
		}
		if !found {
			return fmt.Errorf("no level named %s in %+v", CallbackErrorName, x)
		}
	}
	if e.Chain != nil {
		var names []string
		for level := x; level != nil; level = level.Cause {
			if e.Frames && len(level.Traceback) == 0 {
				return fmt.Errorf("level %s has no traceback frames", level.Name)
			}
			names = append(names, level.Name)
		}
		if !slices.Equal(names, e.Chain) {
			return fmt.Errorf("want the chain %v, got %v", e.Chain, names)
		}
	}
	return e.matchOrdinary(x)
}
