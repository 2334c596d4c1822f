// Command benchreport reads the `go test -bench -benchmem` output of internal/bench on standard
// input and prints, as Markdown, the side-by-side table `make bench` reports: every line with its
// time and allocations per call, against the raw Virgil crossing of the same guest and against
// purego SyscallN on a plain C function, payload lines in MB/s against a Go copy of the same size,
// and a table of calls per second by goroutines. With -count above 1, each figure is the median
// of the runs. With -svg DIR it also writes DIR/bench-scaling.svg and DIR/bench-payload.svg.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	svgDir := flag.String("svg", "", "write the scaling and payload plots (SVG) into this directory")
	flag.Parse()
	r, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	if _, ok := r.results[syscallN]; !ok {
		fmt.Fprintln(os.Stderr, "benchreport: no internal/bench results on standard input (no BenchmarkCall/syscalln line)")
		os.Exit(1)
	}
	report(os.Stdout, r)
	if *svgDir != "" {
		written, err := writePlots(*svgDir, r)
		for _, path := range written {
			fmt.Fprintln(os.Stderr, "benchreport: wrote", path)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(1)
		}
	}
}
