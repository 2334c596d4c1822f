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

// liftError is any other failure to lift a value into a Go type ("nesting deeper than 512
// levels", "expected at most 3 elements, got 4", "duplicate map key"), located like a TypeError.
// One that reports a limit (cabi/ABI.md section 11) is ErrLimit for errors.Is.
type liftError struct {
	Path   string
	Msg    string
	limit  bool
	borrow bool // a broken borrowed value (ErrBorrow)
}

// Is reports whether e is about a limit, for errors.Is(err, ErrLimit), or a broken borrowed
// value, for errors.Is(err, ErrBorrow).
func (e *liftError) Is(target error) bool {
	return e.limit && target == ErrLimit || e.borrow && target == ErrBorrow
}

// limitErrorf is liftErrorf for an exceeded limit.
func limitErrorf(format string, args ...any) error {
	return &liftError{Msg: fmt.Sprintf(format, args...), limit: true}
}

// MaxLength is the largest length of a str, bin, ext, array or map that MessagePack can
// represent: 2^32 - 1. Encoders refuse longer ones with an error that is ErrLimit
// (cabi/ABI.md section 11) rather than write a wrong length.
const MaxLength = 1<<32 - 1

// checkLen refuses a length MessagePack cannot represent, for a value of the kind named.
func checkLen(kind string, n int) error {
	if uint64(n) > MaxLength {
		return limitErrorf("a %s of length %d: MessagePack lengths are at most %d", kind, n, uint64(MaxLength))
	}
	return nil
}

func (e *liftError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func liftErrorf(format string, args ...any) error {
	return &liftError{Msg: fmt.Sprintf(format, args...)}
}

// Describe writes a lifting error of the value called what ("result", "argument 2") with its
// location in words: "result: expected map, got int", "result: field mean: expected float, got
// str", "result: element [1].count: expected int, got str". Errors this package does not locate
// follow what and a colon.
func Describe(what string, err error) string {
	path, msg := splitPath(err)
	switch {
	case path == "":
	case path[0] == '.':
		what += ": field " + path[1:]
	default:
		what += ": element " + path
	}
	return what + ": " + msg
}

// splitPath returns the location of err and its message without it.
func splitPath(err error) (path, msg string) {
	switch e := err.(type) {
	case *TypeError:
		c := *e
		c.Path = ""
		return e.Path, c.Error()
	case *RangeError:
		c := *e
		c.Path = ""
		return e.Path, c.Error()
	case *FieldError:
		c := *e
		c.Path = ""
		return e.Path, c.Error()
	case *liftError:
		c := *e
		c.Path = ""
		return e.Path, c.Error()
	}
	return "", err.Error()
}

// prefixPath puts seg ("[2]", ".name") in front of the path of err, when err is located (a
// *TypeError, *RangeError, *FieldError or *liftError made by this lifting), and returns err. Locations are
// built this way, from the inside out and only on failure, so a successful check allocates none.
func prefixPath(err error, seg string) error {
	switch e := err.(type) {
	case *TypeError:
		e.Path = seg + e.Path
	case *RangeError:
		e.Path = seg + e.Path
	case *liftError:
		e.Path = seg + e.Path
	case *FieldError:
		e.Path = seg + e.Path
	}
	return err
}
