package exceptions

import (
	"fmt"
	"runtime"
	"strings"
)

// maxCapturedFrames is how many frames this package captures for one
// traceback, the most recent ones; deeper stacks are cut off with a note.
const maxCapturedFrames = 512

// captureCallers returns the frames of the calling goroutine, oldest first,
// ending at the caller of the function that calls captureCallers when skip is
// 1, and a note when the stack had to be cut off.
func captureCallers(skip int) ([]Frame, []string) {
	pcs, full := callerPCs(skip + 1)
	return finishFrames(expand(pcs), full)
}

// callerPCs returns the return addresses of the calling goroutine's stack,
// innermost first, starting at the caller of the function calling callerPCs
// when skip is 1, and whether there may have been more than it could hold.
// The common shallow stack costs one small buffer.
func callerPCs(skip int) (pcs []uintptr, full bool) {
	for _, size := range [...]int{64, maxCapturedFrames + 64} {
		pcs = make([]uintptr, size)
		n := runtime.Callers(skip+2, pcs) // +2: runtime.Callers and callerPCs
		if n < size {
			return pcs[:n], false
		}
	}
	return pcs, true
}

// framesOf converts a stack of return addresses as runtime.Callers (and
// github.com/pkg/errors) record them, innermost first, to frames, oldest
// first.
func framesOf(pcs []uintptr) []Frame {
	frames, _ := finishFrames(expand(pcs), false)
	return frames
}

// expand resolves return addresses, innermost first, to frames, innermost
// first, inlined calls included.
func expand(pcs []uintptr) []Frame {
	if len(pcs) == 0 {
		return nil
	}
	frames := make([]Frame, 0, len(pcs))
	it := runtime.CallersFrames(pcs)
	for {
		f, more := it.Next()
		frames = append(frames, Frame{Function: f.Function, File: relativeFile(f.Function, f.File), Line: f.Line, Language: Language})
		if !more {
			break
		}
	}
	return frames
}

// finishFrames takes frames innermost first, drops the runtime's frames at
// the oldest end (runtime.main, runtime.goexit), keeps at most
// maxCapturedFrames of the most recent ones and returns them oldest first,
// with a note when frames were cut off (or truncated says they were).
func finishFrames(frames []Frame, truncated bool) ([]Frame, []string) {
	end := len(frames)
	for end > 0 && isRuntimeFrame(frames[end-1].Function) {
		end--
	}
	frames = frames[:end]
	if len(frames) > maxCapturedFrames {
		frames = frames[:maxCapturedFrames]
		truncated = true
	}
	out := make([]Frame, len(frames))
	for i, f := range frames {
		out[len(frames)-1-i] = f
	}
	if len(out) == 0 {
		out = nil
	}
	var notes []string
	if truncated {
		notes = []string{fmt.Sprintf("traceback truncated to the %d most recent frames", len(out))}
	}
	return out, notes
}

// isRuntimeFrame reports whether function belongs to the Go runtime
// itself: its panic machinery, its entry points and its internal packages.
func isRuntimeFrame(function string) bool {
	return strings.HasPrefix(function, "runtime.") || strings.HasPrefix(function, "internal/runtime/")
}
