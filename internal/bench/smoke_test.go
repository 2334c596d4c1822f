package bench

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBenchmarksRunOnce runs this test binary again with every benchmark at one iteration, so
// that go test catches a benchmark that no longer works: each checks its result after its loop.
func TestBenchmarksRunOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in short mode: the benchmarks load every guest")
	}
	out, err := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=.", "-test.benchtime=1x").CombinedOutput()
	if err != nil {
		t.Fatalf("the benchmarks failed: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), " ns/op"); n < len(guests)*10 {
		t.Errorf("only %d benchmark lines ran:\n%s", n, out)
	}
}
