package codec

import "fmt"

// TypeError reports a value of the wrong MessagePack family for the Go type it is lifted into.
// Path locates the value inside the one being decoded ("" for the value itself, "[2]" for an
// element, ".name" for a field or map key).
type TypeError struct {
	Path string
	Want string
	Got  string
}

func (e *TypeError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("expected %s, got %s", e.Want, e.Got)
	}
	return fmt.Sprintf("%s: expected %s, got %s", e.Path, e.Want, e.Got)
}

// RangeError reports an integer that does not fit the Go integer type it is lifted into.
type RangeError struct {
	Path   string
	Value  any
	Lo, Hi int64
}

func (e *RangeError) Error() string {
	msg := fmt.Sprintf("integer %v out of range [%d, %d]", e.Value, e.Lo, e.Hi)
	if e.Path != "" {
		return e.Path + ": " + msg
	}
	return msg
}
