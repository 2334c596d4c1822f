package exceptions

import (
	"reflect"
)

// exportedException is an Exception without its unexported fields, for
// comparisons and printing in tests.
type exportedException struct {
	Name, Message, Language string
	Traceback               []Frame
	Cause                   *exportedException
	Notes                   []string
}

// exported copies the exported fields of e and its causes.
func exported(e *Exception) *exportedException {
	if e == nil {
		return nil
	}
	return &exportedException{
		Name: e.Name, Message: e.Message, Language: e.Language,
		Traceback: e.Traceback, Cause: exported(e.Cause), Notes: e.Notes,
	}
}

// equalRecords compares the exported fields of two chains.
func equalRecords(a, b *Exception) bool {
	return reflect.DeepEqual(exported(a), exported(b))
}

// levels returns e and its causes, outermost first.
func levels(e *Exception) []*Exception {
	var out []*Exception
	for x := e; x != nil; x = x.Cause {
		out = append(out, x)
	}
	return out
}
