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

// TestEchoBytes1GiB sends 1 GiB through the Go guest's echo_bytes and reports what the call
// needed: the argument is lent, the guest replies a view of it, and the host copies it once into
// the result, so the process's peak resident memory grows by about one payload during the call
// (the result) rather than four (argument array, guest copy, reply, result). Inline, the reply
// would not even pass the 1 GiB maximum reply size. It runs only with VIRGIL_BIG_PAYLOAD=1,
// without -short, on Linux with 4 GiB of memory available.
func TestEchoBytes1GiB(t *testing.T) {
	if testing.Short() || os.Getenv("VIRGIL_BIG_PAYLOAD") != "1" {
		t.Skip("set VIRGIL_BIG_PAYLOAD=1 (and no -short) to send 1 GiB")
	}
	if avail := procKiB(t, "/proc/meminfo", "MemAvailable"); avail < 4<<20 {
		t.Skipf("only %d MiB available", avail>>10)
	}
	lib := open(t, testlibs.GoGuest(t))
	payload := make([]byte, bigPayload)
	for i := 0; i < len(payload); i += 4096 {
		payload[i] = byte(i >> 12)
	}
	debug.FreeOSMemory()
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
	t.Logf("1 GiB echo: %d MiB allocated by the host during the call, peak RSS %d MiB (%d MiB before the call, +%.2f payloads)",
		allocated>>20, peak>>10, rssBefore>>10, float64(grew)/bigPayload)
	if allocated > bigPayload+bigPayload/4 {
		t.Errorf("the host allocated %d MiB for a 1 GiB echo, want about one payload", allocated>>20)
	}
	if grew > 2*bigPayload {
		t.Errorf("peak RSS grew by %d MiB during the call, want under two payloads", grew>>20)
	}
	runtime.KeepAlive(payload)
}
