package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result holds the runs of one benchmark line: one value per run for each unit it reported
// ("ns/op", "allocs/op", "MB/s", "calls/s", ...).
type result map[string][]float64

// median returns the median of the runs of unit, and false when the line has none.
func (r result) median(unit string) (float64, bool) {
	xs := r[unit]
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2, true
	}
	return s[len(s)/2], true
}

// run is everything read from one `go test -bench` output.
type run struct {
	results map[string]result // by name, without "Benchmark" and the -GOMAXPROCS suffix
	names   []string          // the names in the order they first appeared
	env     map[string]string // goos, goarch, cpu, pkg
}

// procs is the -GOMAXPROCS suffix go test adds to every name.
var procs = regexp.MustCompile(`-\d+$`)

// parse reads `go test -bench` output: result lines such as
// "BenchmarkCall/raw/c-2  803305  152.7 ns/op  16 B/op  1 allocs/op" and the header lines
// ("cpu: ..."). Other lines (PASS, ok, log output) are ignored; a result line that does not read
// as one is an error.
func parse(r io.Reader) (*run, error) {
	out := &run{results: map[string]result{}, env: map[string]string{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		for _, key := range []string{"goos", "goarch", "pkg", "cpu"} {
			if v, ok := strings.CutPrefix(text, key+": "); ok {
				out.env[key] = strings.TrimSpace(v)
			}
		}
		fields := strings.Fields(text)
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			continue // a benchmark's log line, not a result
		}
		if len(fields)%2 != 0 {
			return nil, fmt.Errorf("line %d: a value without a unit: %q", n, text)
		}
		name := procs.ReplaceAllString(strings.TrimPrefix(fields[0], "Benchmark"), "")
		res := out.results[name]
		if res == nil {
			res = result{}
			out.results[name] = res
			out.names = append(out.names, name)
		}
		for i := 2; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %q is not a number: %q", n, fields[i], text)
			}
			res[fields[i+1]] = append(res[fields[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the benchmark output: %w", err)
	}
	return out, nil
}

// get returns the median of unit for the line called name.
func (r *run) get(name, unit string) (float64, bool) {
	if res := r.results[name]; res != nil {
		return res.median(unit)
	}
	return 0, false
}

// runs returns the largest number of runs any line has.
func (r *run) runs() int {
	n := 0
	for _, res := range r.results {
		n = max(n, len(res["ns/op"]))
	}
	return n
}

// children returns, in order of appearance, the distinct path elements that follow prefix+"/"
// in the names: children("Call/raw") of Call/raw/c and Call/raw/go is [c go].
func (r *run) children(prefix string) []string {
	var out []string
	for _, name := range r.names {
		rest, ok := strings.CutPrefix(name, prefix+"/")
		if !ok {
			continue
		}
		child, _, _ := strings.Cut(rest, "/")
		if !slices.Contains(out, child) {
			out = append(out, child)
		}
	}
	return out
}
