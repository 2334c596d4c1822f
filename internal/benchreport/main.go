// Command benchreport reads `go test -bench` output of package host on standard input and prints
// the table `make bench` reports: for every guest, a full call against the raw purego crossing
// measured in the same run, allocations per call, and large payloads against a plain copy. With
// -count above 1, each figure is the median of the runs.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result holds the runs of one benchmark.
type result struct {
	nsPerOp, mbPerS, allocs []float64
}

// line matches a result line such as "BenchmarkCallAdd/c-2  100  270.0 ns/op  16 B/op  1 allocs/op".
var line = regexp.MustCompile(`^Benchmark([\w/]+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) MB/s)?(?:\s+[\d.]+ B/op)?(?:\s+([\d.]+) allocs/op)?`)

func main() {
	results, guests, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	if len(guests) == 0 {
		fmt.Fprintln(os.Stderr, "benchreport: no per-guest benchmark results on standard input")
		os.Exit(1)
	}
	report(os.Stdout, results, guests)
}

// parse collects the runs of every benchmark and the guests (sub-benchmark names) seen.
func parse(r io.Reader) (map[string]*result, []string, error) {
	results := map[string]*result{}
	var guests []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if _, guest, ok := strings.Cut(m[1], "/"); ok && !slices.Contains(guests, guest) {
			guests = append(guests, guest)
		}
		r := results[m[1]]
		if r == nil {
			r = &result{}
			results[m[1]] = r
		}
		r.nsPerOp = append(r.nsPerOp, number(m[2]))
		if m[3] != "" {
			r.mbPerS = append(r.mbPerS, number(m[3]))
		}
		if m[4] != "" {
			r.allocs = append(r.allocs, number(m[4]))
		}
	}
	return results, guests, sc.Err()
}

func number(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

func report(w io.Writer, rs map[string]*result, guests []string) {
	get := func(name string, pick func(*result) []float64) float64 {
		if r := rs[name]; r != nil {
			return median(pick(r))
		}
		return 0
	}
	ns := func(r *result) []float64 { return r.nsPerOp }
	mbs := func(r *result) []float64 { return r.mbPerS }
	allocs := func(r *result) []float64 { return r.allocs }

	header := "| measurement (median of runs)     |"
	rule := "|----------------------------------|"
	for _, g := range guests {
		header += fmt.Sprintf(" %-18s |", g+" guest")
		rule += "--------------------|"
	}
	fmt.Fprintln(w, header+" goal |")
	fmt.Fprintln(w, rule+"------|")
	row := func(label, goal string, cell func(guest string) string) {
		fmt.Fprintf(w, "| %-32s |", label)
		for _, g := range guests {
			fmt.Fprintf(w, " %-18s |", cell(g))
		}
		fmt.Fprintf(w, " %s |\n", goal)
	}
	row("raw purego crossing, add(1, 2)", "baseline", func(g string) string {
		return fmt.Sprintf("%.0f ns", get("RawAdd/"+g, ns))
	})
	for _, kind := range []string{"Call", "Typed"} {
		label := map[string]string{"Call": `lib.Call("add", &r, 1, 2)`, "Typed": "typed binding add(1, 2)"}[kind]
		row(label, "< 2x raw", func(g string) string {
			full, raw := get(kind+"Add/"+g, ns), get("RawAdd/"+g, ns)
			return fmt.Sprintf("%.0f ns = %.2fx", full, full/raw)
		})
		row("  allocations per call", "a handful", func(g string) string {
			return fmt.Sprintf("%.0f (raw: %.0f)", get(kind+"Add/"+g, allocs), get("RawAdd/"+g, allocs))
		})
	}
	copyRate := get("Copy16MiB", mbs)
	row("echo_bytes 16 MiB round trip", ">= 0.25x copy", func(g string) string {
		rate := get("EchoBytes16MiB/"+g, mbs)
		return fmt.Sprintf("%.0f MB/s = %.2fx", rate, rate/copyRate)
	})
	fmt.Fprintf(w, "| %-32s | %.0f MB/s (the baseline for echo_bytes)\n", "plain copy of 16 MiB", copyRate)
}
