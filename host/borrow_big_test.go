package host_test

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// bigPayload is the size of TestEchoBytes1GiB's payload.
const bigPayload = 1 << 30

// procKiB reads a "kB" field of /proc/self/status or /proc/meminfo (0 when absent).
func procKiB(t *testing.T, file, field string) uint64 {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Skipf("no %s: %v", file, err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// resetPeak resets the process's peak resident memory (VmHWM) to its current size, so that a
// later read gives the peak since now.
func resetPeak(t *testing.T) {
	t.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak RSS: %v", err)
	}
}

// TestEchoBytes1GiB sends 1 GiB through the Go guest's echo_bytes and reports what the call
// needed: the argument is lent, the guest replies a view of it, and the host copies it once into
// the result, so the process's peak resident memory grows by about one payload during the call
// (the result). Inline (WithBorrowThreshold(0), and a maximum reply above 1 GiB, which the
// default refuses), the argument array, the guest's copy, its reply and the result make it four.
// It runs only with VIRGIL_BIG_PAYLOAD=1, without -short, on Linux with 8 GiB available.
func TestEchoBytes1GiB(t *testing.T) {
	if testing.Short() || os.Getenv("VIRGIL_BIG_PAYLOAD") != "1" {
		t.Skip("set VIRGIL_BIG_PAYLOAD=1 (and no -short) to send 1 GiB")
	}
	if avail := procKiB(t, "/proc/meminfo", "MemAvailable"); avail < 8<<20 {
		t.Skipf("only %d MiB available", avail>>10)
	}
	payload := make([]byte, bigPayload)
	for i := 0; i < len(payload); i += 4096 {
		payload[i] = byte(i >> 12)
	}
	for _, tc := range []struct {
		name      string
		opts      []host.Option
		allocated uint64 // the most the host may allocate
		grow      uint64 // the most the peak RSS may grow
	}{
		{"lent", nil, bigPayload + bigPayload/4, 2 * bigPayload},
		{"inline", []host.Option{host.WithBorrowThreshold(0), host.WithMaxReply(2 << 30)}, 3 * bigPayload, 5 * bigPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lib := open(t, testlibs.GoGuest(t), tc.opts...)
			debug.FreeOSMemory()
			resetPeak(t)
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			rssBefore := procKiB(t, "/proc/self/status", "VmRSS")
			var got []byte
			if err := lib.Call("echo_bytes", &got, payload); err != nil {
				t.Fatal(err)
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			peak := procKiB(t, "/proc/self/status", "VmHWM")
			if !bytes.Equal(got, payload) {
				t.Fatal("the payload came back different")
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			grew := (peak - rssBefore) << 10
			t.Logf("1 GiB echo, %s: the host allocated %d MiB during the call; peak RSS %d MiB, %d MiB before the call (+%.2f payloads)",
				tc.name, allocated>>20, peak>>10, rssBefore>>10, float64(grew)/bigPayload)
			if allocated > tc.allocated {
				t.Errorf("the host allocated %d MiB, want at most %d", allocated>>20, tc.allocated>>20)
			}
			if grew > tc.grow {
				t.Errorf("peak RSS grew by %d MiB during the call, want at most %d", grew>>20, tc.grow>>20)
			}
			got = nil
		})
	}
	runtime.KeepAlive(payload)
}
