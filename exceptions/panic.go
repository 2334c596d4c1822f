package exceptions

import (
	"fmt"
	"runtime"
)

// FromPanic converts a recovered panic value to a [Panic] exception. Call it
// in the deferred function, with what recover() returned:
//
//	defer func() {
//		if exc := exceptions.FromPanic(recover()); exc != nil {
//			reply = encodeError(exc)
//		}
//	}()
//
// It returns nil for nil (no panic). The message is the panic value as
// fmt.Sprint prints it (an error's Error()). The traceback is the panicking
// goroutine's stack, oldest first, without the runtime's panic machinery,
// the deferred function and FromPanic itself: its last frame is the function
// that panicked (for a runtime error such as a nil map write, the function
// whose statement failed).
//
// When the value is an error other than a plain runtime error, it becomes the
// cause, converted as [From] would, except that its outermost level has only
// its own stack (if any), not the panicking frames again.
func FromPanic(value any) *Exception {
	if value == nil {
		return nil
	}
	e := &Exception{Name: Panic, Language: Language}
	e.Traceback, e.Notes = capturePanic(1)
	err, isErr := value.(error)
	if !isErr {
		e.Message = fmt.Sprint(value)
		return e
	}
	e.Message = safeText(err)
	if _, isRuntime := err.(runtime.Error); isRuntime {
		if cause, _ := unwrapOne(err); cause == nil {
			return e // a plain runtime error: the message says it all
		}
	}
	if x, ok := err.(*Exception); ok {
		e.Cause = x
	} else {
		e.Cause, _ = convert(err)
	}
	return e
}

// capturePanic returns the frames of the panicking goroutine, oldest first,
// ending at the function that panicked: the frames from runtime.gopanic
// inwards (the deferred function, FromPanic, this function) and the runtime
// frames that raised a runtime error (runtime.panicmem, runtime.sigpanic,
// runtime.mapassign_faststr, ...) are dropped. Outside a panic it returns
// the frames of the caller of the function calling it, as captureCallers.
func capturePanic(skip int) ([]Frame, []string) {
	pcs, full := callerPCs(skip + 1)
	frames := expand(pcs)
	for i, f := range frames {
		if f.Function == "runtime.gopanic" {
			frames = frames[i+1:]
			for len(frames) > 0 && isRuntimeFrame(frames[0].Function) {
				frames = frames[1:]
			}
			break
		}
	}
	return finishFrames(frames, full)
}
