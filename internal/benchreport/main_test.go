package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// small is a hand-made run with round numbers, so every cell of the table can be checked.
const small = `goos: linux
goarch: amd64
pkg: github.com/virgilffi/virgil/internal/bench
cpu: Test CPU
BenchmarkCall/cgo-2                	 1000	        20.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkCall/syscalln-2           	 1000	       100.0 ns/op	      16 B/op	       1 allocs/op
BenchmarkCall/syscalln-2           	 1000	        90.0 ns/op	      16 B/op	       1 allocs/op
BenchmarkCall/syscalln-2           	 1000	       500.0 ns/op	      16 B/op	       1 allocs/op
BenchmarkCall/raw/c-2              	 1000	       200.0 ns/op	      16 B/op	       1 allocs/op
BenchmarkCall/call/c-2             	 1000	       300.0 ns/op	      16 B/op	       1 allocs/op
BenchmarkCall/typed/c-2            	 1000	       400.0 ns/op	      56 B/op	       3 allocs/op
BenchmarkCall/typed/c-2            	 1000	       600.0 ns/op	      56 B/op	       5 allocs/op
    bench_test.go:10: a log line
BenchmarkCall/http-2               	 1000	     20000 ns/op	    9000 B/op	      90 allocs/op
BenchmarkEchoBytes/16MiB/c-2       	   10	   5000000 ns/op	 3000.00 MB/s	  100 B/op	       4 allocs/op
BenchmarkEchoBytes/1KiB/c-2        	 1000	       500 ns/op	 2000.00 MB/s	   40 B/op	       2 allocs/op
BenchmarkCopy/1KiB-2               	 1000	        10 ns/op	100000.00 MB/s	    0 B/op	       0 allocs/op
BenchmarkCopy/16MiB-2              	 1000	   1000000 ns/op	12000.00 MB/s	    0 B/op	       0 allocs/op
BenchmarkRecord/order/c-2          	 1000	      7000 ns/op	     360 B/op	      12 allocs/op
BenchmarkScaling/c/g1-2            	 1000	       400 ns/op	   2500000 calls/s	      56 B/op	       3 allocs/op
BenchmarkScaling/c/g2-2            	 1000	       250 ns/op	   4000000 calls/s	      56 B/op	       3 allocs/op
PASS
ok  	github.com/virgilffi/virgil/internal/bench	1.0s
`

func TestParse(t *testing.T) {
	r, err := parse(strings.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	if r.env["cpu"] != "Test CPU" || r.env["goarch"] != "amd64" {
		t.Errorf("env %v", r.env)
	}
	if got := r.results["Call/syscalln"]["ns/op"]; !slices.Equal(got, []float64{100, 90, 500}) {
		t.Errorf("syscalln runs %v", got)
	}
	if got, _ := r.get("Call/syscalln", "ns/op"); got != 100 {
		t.Errorf("median of three runs %v, want 100", got)
	}
	if got, _ := r.get("Call/typed/c", "allocs/op"); got != 4 {
		t.Errorf("median of two runs %v, want 4", got)
	}
	if got, _ := r.get("Scaling/c/g2", "calls/s"); got != 4e6 {
		t.Errorf("calls/s %v", got)
	}
	if _, ok := r.get("Call/missing", "ns/op"); ok {
		t.Error("a missing line has a median")
	}
	if got := r.children("EchoBytes"); !slices.Equal(got, []string{"16MiB", "1KiB"}) {
		t.Errorf("children %v", got)
	}
	if r.runs() != 3 {
		t.Errorf("runs %d", r.runs())
	}
}

func TestParseRefusesBrokenLines(t *testing.T) {
	for _, text := range []string{
		"BenchmarkCall/cgo-2 1000 25.0 ns/op 0",
		"BenchmarkCall/cgo-2 1000 fast ns/op",
	} {
		if _, err := parse(strings.NewReader(text)); err == nil {
			t.Errorf("%q parsed", text)
		}
	}
}

func TestReport(t *testing.T) {
	r, err := parse(strings.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	report(&out, r)
	for _, want := range []string{
		"Test CPU, linux, amd64; medians of 3 runs.",
		"| cgo, a C `add` linked into the binary | 20.0 ns | 0 | 0.10x | 0.20x |  |  |",
		"| purego `SyscallN`, a plain C `add` in a shared library | 100 ns | 1 | 0.50x | 1.00x |  |  |",
		"| raw crossing, pre-encoded bytes, C guest | 200 ns | 1 | 1.00x | 2.00x |  |  |",
		"| `lib.Call(\"add\", &r, 1, 2)`, C guest | 300 ns | 1 | 1.50x | 3.00x |  |  |",
		"| typed `host.Func2`, C guest | 500 ns | 4 | 2.50x | 5.00x |  |  |",
		"| HTTP on localhost, JSON, keep-alive client (both ends counted) | 20.0 µs | 90 | 100x | 200x |  |  |",
		"| Go `copy` of 1 KiB | 10.0 ns | 0 | 0.05x | 0.10x | 100,000 |  |",
		"| `echo_bytes` of 16 MiB, C guest | 5.00 ms | 4 | 25,000x | 50,000x | 3,000 | 0.25x |",
		"| one 10-field record, C guest | 7000 ns | 12 | 35.0x | 70.0x |  |  |",
		"| typed `host.Func2`, C guest | 2,500,000 (1.00x) | 4,000,000 (1.60x) | 3 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in\n%s", want, out.String())
		}
	}
	// Payload sizes go smallest first, whatever order they ran in; lines that did not run
	// (RegisterLibFunc, closures) have no row.
	if i, j := strings.Index(out.String(), "of 1 KiB"), strings.Index(out.String(), "of 16 MiB"); i < 0 || j < i {
		t.Error("payload rows out of order")
	}
	if strings.Contains(out.String(), "RegisterLibFunc") || strings.Contains(out.String(), "closure") {
		t.Error("a row for a line that did not run")
	}
}

// sample parses testdata/sample.txt, a captured `make bench` run of internal/bench (five runs per line).
func sample(t *testing.T) *run {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSampleEveryLineReported reads a captured run of internal/bench: every line in it must
// show up in a table, so a benchmark added there without a row here fails.
func TestSampleEveryLineReported(t *testing.T) {
	r := sample(t)
	if len(r.names) < 50 {
		t.Fatalf("only %d lines in the sample", len(r.names))
	}
	covered := map[string]bool{}
	for _, s := range sections(r) {
		for _, x := range s.rows {
			covered[x.name] = true
		}
	}
	var out bytes.Buffer
	report(&out, r)
	for _, name := range r.names {
		if strings.HasPrefix(name, scaling+"/") {
			v, _ := r.get(name, callsPerSec)
			if !strings.Contains(out.String(), count(v)) {
				t.Errorf("%s: %s calls/s not in the scaling table", name, count(v))
			}
			continue
		}
		if !covered[name] {
			t.Errorf("%s has no row", name)
		}
	}
}

func TestPlots(t *testing.T) {
	r := sample(t)
	dir := t.TempDir()
	written, err := writePlots(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 2 {
		t.Fatalf("wrote %v", written)
	}
	// The payload plot: Go copy and four guests; the scaling plot: the SyscallN reference and two
	// guests. Each series is a polyline, as are the axes.
	for file, want := range map[string]struct {
		lines   int
		legends []string
	}{
		"bench-payload.svg": {6, []string{"Go copy", "C guest", "Rust guest", "Go guest", "Haskell guest", "16 MiB"}},
		"bench-scaling.svg": {4, []string{"SyscallN, plain C", "C guest", "Rust guest", "goroutines"}},
	} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		lines, texts := 0, ""
		dec := xml.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", file, err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if tok.Name.Local == "polyline" {
					lines++
				}
			case xml.CharData:
				texts += string(tok) + "\n"
			}
		}
		if lines != want.lines {
			t.Errorf("%s: %d polylines, want %d", file, lines, want.lines)
		}
		for _, l := range want.legends {
			if !strings.Contains(texts, l) {
				t.Errorf("%s: no text %q", file, l)
			}
		}
	}
}

func TestPlotRefusesLogOfZero(t *testing.T) {
	p := plot{title: "t", logY: true, series: []series{{name: "s", points: []point{{1, 0}}}}}
	if _, err := p.svg(); err == nil {
		t.Error("a zero on a log scale was drawn")
	}
	if _, err := (plot{title: "empty"}).svg(); err == nil {
		t.Error("an empty plot was drawn")
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{count(1234567), "1,234,567"}, {count(999), "999"}, {count(-1234), "-1,234"},
		{ratio(1.234), "1.23x"}, {ratio(12.34), "12.3x"}, {ratio(12345), "12,345x"},
		{duration(25), "25.0 ns"}, {duration(2500), "2500 ns"}, {duration(25000), "25.0 µs"}, {duration(2.5e6), "2.50 ms"},
		{spaced("16MiB"), "16 MiB"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if sizeOf("64KiB") != 64<<10 || sizeOf("16MiB") != 16<<20 || sizeOf("big") != 0 {
		t.Error("sizeOf")
	}
}
