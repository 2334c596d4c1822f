package exceptions

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// causeSeparator joins the levels of a chain in the %+v form, as Python does.
const causeSeparator = "\n\nThe above exception was the direct cause of the following exception:\n\n"

// Format implements fmt.Formatter:
//
//   - %s and %v print Error();
//   - %q prints Error() quoted;
//   - %+v prints a readable traceback across every language the chain
//     crossed, in Python's style: innermost cause first, each level as
//     "Traceback (most recent call last):", its frames
//     (`  File "f", line N, in fn [lang]`, when it has frames) and its
//     "Name: Message" line followed by its attributes ("  attributes: errno=2,
//     filename="/etc/app.toml"", keys sorted) and its notes ("  note: ..."), the levels
//     joined by "The above exception was the direct cause of the following
//     exception:";
//   - %#v prints the struct's fields in Go syntax.
func (e *Exception) Format(s fmt.State, verb rune) {
	switch {
	case verb == 'v' && s.Flag('+'):
		_, _ = io.WriteString(s, e.traceback())
	case verb == 'v' && s.Flag('#'):
		type plain Exception // no methods, so fmt prints the fields
		_, _ = fmt.Fprintf(s, "%#v", (*plain)(e))
	case verb == 'v' || verb == 's' || verb == 'q':
		_, _ = fmt.Fprintf(s, fmt.FormatString(s, verb), e.Error())
	default:
		_, _ = fmt.Fprintf(s, "%%!%c(*exceptions.Exception=%s)", verb, e.Error())
	}
}

// traceback renders the %+v form.
func (e *Exception) traceback() string {
	if e == nil {
		return "<nil>"
	}
	levels, truncated := e.chain()
	var b strings.Builder
	if truncated {
		fmt.Fprintf(&b, "(cause chain truncated: only the outermost %d levels are shown)", len(levels))
		b.WriteString(causeSeparator)
	}
	for i := len(levels) - 1; i >= 0; i-- {
		x := levels[i]
		if i != len(levels)-1 {
			b.WriteString(causeSeparator)
		}
		if len(x.Traceback) > 0 {
			b.WriteString("Traceback (most recent call last):\n")
			for _, f := range x.Traceback {
				writeFrame(&b, f, x.Language)
			}
		}
		b.WriteString(x.headline())
		writeAttributes(&b, x.Attributes)
		for _, n := range x.Notes {
			b.WriteString("\n  note: ")
			b.WriteString(n)
		}
	}
	return b.String()
}

// writeFrame writes one frame line, tagged with its language (the owning
// exception's when the frame has none).
func writeFrame(b *strings.Builder, f Frame, language string) {
	function := f.Function
	if function == "" {
		function = "?"
	}
	b.WriteString(`  File "`)
	b.WriteString(f.File)
	b.WriteString(`", line `)
	b.WriteString(strconv.Itoa(f.Line))
	b.WriteString(", in ")
	b.WriteString(function)
	if f.Language != "" {
		language = f.Language
	}
	if language != "" {
		b.WriteString(" [")
		b.WriteString(language)
		b.WriteString("]")
	}
	b.WriteString("\n")
}

// writeAttributes writes a level's attributes on one line, keys sorted, strings quoted.
func writeAttributes(b *strings.Builder, attrs Attributes) {
	if len(attrs) == 0 {
		return
	}
	b.WriteString("\n  attributes: ")
	for i, k := range sortedKeys(attrs) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteString("=")
		if s, ok := attrs[k].(string); ok {
			b.WriteString(strconv.Quote(s))
		} else {
			fmt.Fprint(b, attrs[k])
		}
	}
}
