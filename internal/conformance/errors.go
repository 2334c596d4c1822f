package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/internal/typedjson"
	"github.com/virgilffi/virgil/scan"
)

// LevelExpect is what an error case expects of one level of the chain (errors.json).
type LevelExpect struct {
	Message    *string                    `json:"message"`
	Attributes map[string]json.RawMessage `json:"attributes"`
}

// ErrorCases are the cases of cabi/conformance/errors.json: the errors of ordinary code.
type ErrorCases struct {
	// GlueMarkers are substrings no frame's function or file may contain.
	GlueMarkers []string `json:"glue_markers"`
	Cases       []Case   `json:"cases"`
}

// LoadErrors reads cabi/conformance/errors.json.
func LoadErrors() (*ErrorCases, error) {
	raw, err := os.ReadFile(filepath.Join(typedjson.RepoRoot(), "cabi", "conformance", "errors.json"))
	if err != nil {
		return nil, err
	}
	var doc ErrorCases
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("errors.json: %w", err)
	}
	for i := range doc.Cases {
		if e := doc.Cases[i].Error; e != nil {
			e.glue = doc.GlueMarkers
		}
	}
	return &doc, nil
}

// RunErrors runs every case of errors.json against h as subtests of t. A guest whose library
// lacks one of the functions fails: every guest kit implements them (cabi/ABI.md section 9).
func RunErrors(t *testing.T, h Host) {
	doc, err := LoadErrors()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if err := c.Check(h); err != nil {
				t.Error(err)
			}
		})
	}
}

// matchOrdinary checks what errors.json adds to an expectation: attributes, per-level
// expectations, the user's frame and the absence of glue frames.
func (e *Expect) matchOrdinary(x *exceptions.Exception) error {
	if err := matchAttributes(x, e.Attributes); err != nil {
		return fmt.Errorf("%w in %+v", err, x)
	}
	level := x
	for i, want := range e.Levels {
		if level == nil {
			return fmt.Errorf("want at least %d levels, got %d", len(e.Levels), i)
		}
		if want.Message != nil && level.Message != *want.Message {
			return fmt.Errorf("level %d (%s): want the message %q, got %q", i, level.Name, *want.Message, level.Message)
		}
		if err := matchAttributes(level, want.Attributes); err != nil {
			return fmt.Errorf("level %d (%s): %w", i, level.Name, err)
		}
		level = level.Cause
	}
	if e.UserFrame != "" {
		if len(x.Traceback) == 0 {
			return fmt.Errorf("the outermost level has no frames, want the user's %s: %+v", e.UserFrame, x)
		}
		last := x.Traceback[len(x.Traceback)-1]
		if !strings.Contains(scan.Fold(last.Function), scan.Fold(e.UserFrame)) {
			return fmt.Errorf("the last frame is %s (%s:%d), want the user's %s:\n%+v",
				last.Function, last.File, last.Line, e.UserFrame, x)
		}
	}
	for level := x; level != nil; level = level.Cause {
		for _, f := range level.Traceback {
			for _, m := range e.glue {
				if strings.Contains(f.Function, m) || strings.Contains(f.File, m) {
					return fmt.Errorf("level %s has a glue frame %s (%s:%d) (marker %q):\n%+v",
						level.Name, f.Function, f.File, f.Line, m, x)
				}
			}
		}
	}
	return nil
}

// matchAttributes checks that x's attributes hold every wanted key (matched exactly or folded)
// with an equal value.
func matchAttributes(x *exceptions.Exception, want map[string]json.RawMessage) error {
	for key, raw := range want {
		wantValue, err := typedjson.Parse(raw)
		if err != nil {
			return fmt.Errorf("attribute %s: %w", key, err)
		}
		got, ok := x.Attr(key)
		if !ok {
			return fmt.Errorf("no attribute %s (attributes %v)", key, x.Attributes)
		}
		if err := typedjson.Equal(wantValue, got); err != nil {
			return fmt.Errorf("attribute %s: %w", key, err)
		}
	}
	return nil
}
