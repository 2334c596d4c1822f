package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The benchmark names of internal/bench this report reads.
const (
	syscallN    = "Call/syscalln"
	rawPrefix   = "Call/raw/"
	copyPrefix  = "Copy/"
	echoBytes   = "EchoBytes"
	record      = "Record"
	scaling     = "Scaling"
	callsPerSec = "calls/s"
)

// ways are the Virgil ways of calling add, per guest, in the order of the table.
var ways = []struct{ key, label string }{
	{"raw", "raw crossing, pre-encoded bytes"},
	{"funcraw", "`Function.Raw`, pre-encoded bytes"},
	{"call", "`lib.Call(\"add\", &r, 1, 2)`"},
	{"typed", "typed `host.Func2`"},
	{"closure", "closure `apply(f, 41)`, a Go func"},
}

// shapes are the realistic calls of BenchmarkRecord.
var shapes = map[string]string{
	"order":      "one 10-field record",
	"orders1000": "1,000 10-field records",
	"floats1000": "1,000 floats",
}

// guestName spells a guest's sub-benchmark name as the table shows it.
func guestName(g string) string {
	if name, ok := map[string]string{"c": "C", "go": "Go", "rust": "Rust", "haskell": "Haskell"}[g]; ok {
		return name
	}
	return g
}

// row is one line of the table: a benchmark and the lines it is compared with.
type row struct {
	label string
	name  string // the benchmark line
	raw   string // the raw crossing of the same guest (or the C guest's, for lines without one)
	copy  string // for payload lines, the Go copy of the same size
}

// section is a titled group of rows.
type section struct {
	title string
	rows  []row
}

// sections lays out the table from the lines present in r.
func sections(r *run) []section {
	var guests []string
	for _, w := range ways {
		for _, g := range r.children("Call/" + w.key) {
			if !slices.Contains(guests, g) {
				guests = append(guests, g)
			}
		}
	}
	defaultRaw := rawPrefix + "c"
	if _, ok := r.results[defaultRaw]; !ok && len(guests) > 0 {
		defaultRaw = rawPrefix + guests[0]
	}

	call := section{title: "`add(1, 2)`, one call"}
	call.rows = append(call.rows,
		row{"cgo, a C `add` linked into the binary", "Call/cgo", defaultRaw, ""},
		row{"purego `SyscallN`, a plain C `add` in a shared library", syscallN, defaultRaw, ""},
		row{"purego `RegisterLibFunc`, the same plain C `add`", "Call/registerlibfunc", defaultRaw, ""})
	for _, g := range guests {
		for _, w := range ways {
			call.rows = append(call.rows, row{
				w.label + ", " + guestName(g) + " guest", "Call/" + w.key + "/" + g, rawPrefix + g, ""})
		}
	}
	call.rows = append(call.rows,
		row{"HTTP on localhost, JSON, keep-alive client (both ends counted)", "Call/http", defaultRaw, ""})

	payload := section{title: "`echo_bytes`, the payload counted once per call, against a Go `copy`"}
	sizes := r.children(echoBytes)
	slices.SortStableFunc(sizes, func(a, b string) int { return sizeOf(a) - sizeOf(b) })
	for _, size := range sizes {
		label := spaced(size)
		payload.rows = append(payload.rows, row{"Go `copy` of " + label, copyPrefix + size, defaultRaw, ""})
		for _, g := range r.children(echoBytes + "/" + size) {
			payload.rows = append(payload.rows, row{
				"`echo_bytes` of " + label + ", " + guestName(g) + " guest",
				echoBytes + "/" + size + "/" + g, rawPrefix + g, copyPrefix + size})
		}
	}

	realistic := section{title: "a realistic call: `echo`, both ways, lifted into the same Go types"}
	for _, shape := range r.children(record) {
		label := shapes[shape]
		if label == "" {
			label = shape
		}
		for _, g := range r.children(record + "/" + shape) {
			realistic.rows = append(realistic.rows, row{
				label + ", " + guestName(g) + " guest", record + "/" + shape + "/" + g, rawPrefix + g, ""})
		}
	}

	var out []section
	for _, s := range []section{call, payload, realistic} {
		s.rows = slices.DeleteFunc(s.rows, func(x row) bool { _, ok := r.results[x.name]; return !ok })
		if len(s.rows) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// sizeOf reads a payload size such as "64KiB" or "16MiB" (0 when it is not one).
func sizeOf(s string) int {
	for suffix, unit := range map[string]int{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "B": 1} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			if v, err := strconv.Atoi(n); err == nil {
				return v * unit
			}
		}
	}
	return 0
}

// spaced writes a size such as "16MiB" as "16 MiB".
func spaced(size string) string {
	i := strings.IndexFunc(size, func(c rune) bool { return c < '0' || c > '9' })
	if i <= 0 {
		return size
	}
	return size[:i] + " " + size[i:]
}

// report writes the side-by-side table and the scaling table as Markdown.
func report(w io.Writer, r *run) {
	var env []string
	for _, key := range []string{"cpu", "goos", "goarch"} {
		if v := r.env[key]; v != "" {
			env = append(env, v)
		}
	}
	fmt.Fprintf(w, "%s; medians of %d runs. x raw: against the raw crossing of the same guest (lines "+
		"without a guest: the C guest's); x SyscallN: against purego SyscallN on a plain C add.\n\n",
		strings.Join(env, ", "), r.runs())
	fmt.Fprintln(w, "| line | time/op | allocs/op | x raw | x SyscallN | MB/s | x copy |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
	sys, hasSys := r.get(syscallN, "ns/op")
	for _, s := range sections(r) {
		fmt.Fprintf(w, "| **%s** | | | | | | |\n", s.title)
		for _, x := range s.rows {
			ns, _ := r.get(x.name, "ns/op")
			cells := []string{x.label, duration(ns), "", "", "", "", ""}
			if allocs, ok := r.get(x.name, "allocs/op"); ok {
				cells[2] = count(allocs)
			}
			if raw, ok := r.get(x.raw, "ns/op"); ok && raw > 0 {
				cells[3] = ratio(ns / raw)
			}
			if hasSys && sys > 0 {
				cells[4] = ratio(ns / sys)
			}
			if mbs, ok := r.get(x.name, "MB/s"); ok {
				cells[5] = count(mbs)
				if base, ok := r.get(x.copy, "MB/s"); ok && base > 0 {
					cells[6] = ratio(mbs / base)
				}
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		}
	}
	scalingTable(w, r)
}

// scalingTable writes calls per second of every Scaling/<guest>/g<n> line, with the ratio to one
// goroutine.
func scalingTable(w io.Writer, r *run) {
	guests := r.children(scaling)
	if len(guests) == 0 {
		return
	}
	counts := r.children(scaling + "/" + guests[0])
	fmt.Fprintln(w)
	header, rule := "| `add(1, 2)` from goroutines at once: calls/s (x one goroutine) |", "|---|"
	for _, c := range counts {
		n := strings.TrimPrefix(c, "g")
		if n == "1" {
			header += " 1 goroutine |"
		} else {
			header += " " + n + " goroutines |"
		}
		rule += "--:|"
	}
	fmt.Fprintln(w, header+" allocs/op |")
	fmt.Fprintln(w, rule+"--:|")
	for _, g := range guests {
		line := "| " + scalingName(g, false) + " |"
		one, _ := r.get(scaling+"/"+g+"/"+counts[0], callsPerSec)
		var allocs string
		for _, c := range counts {
			v, ok := r.get(scaling+"/"+g+"/"+c, callsPerSec)
			if !ok {
				line += " |"
				continue
			}
			cell := count(v)
			if one > 0 {
				cell += " (" + ratio(v/one) + ")"
			}
			line += " " + cell + " |"
			if a, ok := r.get(scaling+"/"+g+"/"+c, "allocs/op"); ok && allocs == "" {
				allocs = count(a)
			}
		}
		fmt.Fprintln(w, line+" "+allocs+" |")
	}
}

// scalingName spells a line of the scaling table and plot: a guest, or the purego reference.
func scalingName(g string, short bool) string {
	switch {
	case g == "syscalln" && short:
		return "SyscallN, plain C"
	case g == "syscalln":
		return "purego `SyscallN`, plain C `add` (the reference)"
	case short:
		return guestName(g) + " guest"
	}
	return "typed `host.Func2`, " + guestName(g) + " guest"
}

// duration writes nanoseconds in the unit that reads best.
func duration(ns float64) string {
	switch {
	case ns < 100:
		return fmt.Sprintf("%.1f ns", ns)
	case ns < 1e4:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
}

// ratio writes a ratio with as many decimals as it needs.
func ratio(x float64) string {
	switch {
	case x < 10:
		return fmt.Sprintf("%.2fx", x)
	case x < 100:
		return fmt.Sprintf("%.1fx", x)
	default:
		return count(x) + "x"
	}
}

// count writes a number rounded to an integer, with thousands separators.
func count(x float64) string {
	s := strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
