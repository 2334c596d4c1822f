package exceptions

import (
	"syscall"
)

// How one level of a Go error chain is named and which attributes it carries (cabi/ABI.md
// sections 6 and 7.1); the wrappers named like their causes are resolved in convert.

// hasOwnName reports whether err is named by an ExceptionName method, a
// registration, a standard sentinel or an errno rather than by its Go type.
// A stack wrapper with a name of its own is a level, not a pure stack
// wrapper.
func hasOwnName(err error) bool {
	_, ok := ownName(err)
	return ok
}

// ownName returns the name err gives itself: its ExceptionName method, a
// registered or standard sentinel's name, an errno's name, or its type's
// registered name.
func ownName(err error) (string, bool) {
	if x, ok := err.(interface{ ExceptionName() string }); ok {
		if name := safeName(x); name != "" {
			return name, true
		}
	}
	if name, ok := sentinelName(err); ok {
		return name, true
	}
	if name, ok := namingSentinelName(err); ok {
		return name, true
	}
	if errno, ok := err.(syscall.Errno); ok {
		return ErrnoName(int(errno)), true
	}
	return typeName(err)
}

// nameOf returns the exception name of one level, before wrappers are
// named like their causes.
func nameOf(err error) string {
	if name, ok := ownName(err); ok {
		return name
	}
	switch kindOfLevel(err) {
	case plain, transparent:
		return Plain
	}
	return goTypeName(err)
}

// ownAttributes returns the attributes of a level named by itself: errno
// for a syscall.Errno, the exported fields of a user's error struct.
func ownAttributes(err error) Attributes {
	if errno, ok := err.(syscall.Errno); ok {
		return Attributes{AttrErrno: int64(errno)}
	}
	if _, std := namingSentinelName(err); std {
		return nil
	}
	if _, sentinel := sentinelName(err); sentinel {
		return nil
	}
	return fieldAttributes(err)
}
