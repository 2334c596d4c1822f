package exceptions

import "fmt"

// WithinLimits returns e cut to the limits of cabi/ABI.md section 11, so that it can always be
// encoded: at most MaxCauseDepth levels (the outermost kept; a cyclic chain ends there), at most
// MaxTracebackFrames frames per level (the most recent kept) and at most MaxAttributes
// attributes per level (the first in key order kept), each cut said in a note on the level it
// cut. e itself is not changed; when nothing needs cutting, e is returned as it is.
func (e *Exception) WithinLimits() *Exception {
	if e == nil || e.fitsLimits() {
		return e
	}
	levels, truncated := e.chain()
	copies := make([]*Exception, len(levels))
	for i, x := range levels {
		c := *x
		if n := len(c.Traceback); n > MaxTracebackFrames {
			c.Traceback = c.Traceback[n-MaxTracebackFrames:]
			c.Notes = append(c.Notes[:len(c.Notes):len(c.Notes)],
				fmt.Sprintf("traceback truncated to the %d most recent of %d frames", MaxTracebackFrames, n))
		}
		if n := len(c.Attributes); n > MaxAttributes {
			kept := make(Attributes, MaxAttributes)
			for _, k := range sortedKeys(c.Attributes)[:MaxAttributes] {
				kept[k] = c.Attributes[k]
			}
			c.Attributes = kept
			c.Notes = append(c.Notes[:len(c.Notes):len(c.Notes)],
				fmt.Sprintf("attributes truncated to %d of %d", MaxAttributes, n))
		}
		copies[i] = &c
	}
	for i := 0; i+1 < len(copies); i++ {
		copies[i].Cause = copies[i+1]
	}
	last := copies[len(copies)-1]
	last.Cause = nil
	if truncated {
		last.Notes = append(last.Notes[:len(last.Notes):len(last.Notes)],
			fmt.Sprintf("cause chain truncated after %d levels", len(copies)))
	}
	return copies[0]
}

// fitsLimits reports whether e can be encoded as it is.
func (e *Exception) fitsLimits() bool {
	levels, truncated := e.chain()
	if truncated {
		return false
	}
	for _, x := range levels {
		if len(x.Traceback) > MaxTracebackFrames || len(x.Attributes) > MaxAttributes {
			return false
		}
	}
	return true
}
