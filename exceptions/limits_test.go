package exceptions

import (
	"strings"
	"testing"
)

// TestWithinLimits checks that a chain too long, a traceback too long and too many attributes
// are cut so that the record encodes, with notes saying so, and that a cyclic chain ends.
func TestWithinLimits(t *testing.T) {
	var e *Exception
	for i := range MaxCauseDepth + 10 {
		e = &Exception{Name: "Level", Message: strings.Repeat("x", i%3), Cause: e}
	}
	e.Traceback = make([]Frame, MaxTracebackFrames+5)
	e.Traceback[len(e.Traceback)-1].Function = "newest"
	e.Attributes = Attributes{}
	for i := range MaxAttributes + 1 {
		e.Attributes[strings.Repeat("k", i+1)] = int64(i)
	}
	if _, err := Marshal(e); err == nil {
		t.Fatal("the uncut record encoded")
	}
	cut := e.WithinLimits()
	b, err := Marshal(cut)
	if err != nil {
		t.Fatalf("the cut record does not encode: %v", err)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	levels, truncated := back.chain()
	if truncated || len(levels) != MaxCauseDepth {
		t.Errorf("%d levels (truncated %v), want %d", len(levels), truncated, MaxCauseDepth)
	}
	if n := len(back.Traceback); n != MaxTracebackFrames || back.Traceback[n-1].Function != "newest" {
		t.Errorf("%d frames, the most recent %q", n, back.Traceback[n-1].Function)
	}
	if len(back.Attributes) != MaxAttributes {
		t.Errorf("%d attributes", len(back.Attributes))
	}
	notes := strings.Join(back.Notes, "; ") + strings.Join(levels[len(levels)-1].Notes, "; ")
	for _, want := range []string{"traceback truncated", "attributes truncated", "cause chain truncated"} {
		if !strings.Contains(notes, want) {
			t.Errorf("no note %q in %q", want, notes)
		}
	}
	if len(e.Traceback) != MaxTracebackFrames+5 {
		t.Error("WithinLimits changed its argument")
	}

	cyclic := &Exception{Name: "A"}
	cyclic.Cause = &Exception{Name: "B", Cause: cyclic}
	if _, err := Marshal(cyclic.WithinLimits()); err != nil {
		t.Errorf("a cyclic chain does not encode once cut: %v", err)
	}
	small := &Exception{Name: "Fine"}
	if small.WithinLimits() != small {
		t.Error("a record within the limits was copied")
	}
}
