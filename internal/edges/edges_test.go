package edges_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/edges"
	"github.com/virgilffi/virgil/internal/testlibs"
)

func TestMain(m *testing.M) { testlibs.Main(m) }

func load(t *testing.T) []edges.Case {
	t.Helper()
	cases, err := edges.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases in edges.json", len(cases))
	}
	return cases
}

// The Go codec's own answers to every case are checked in package codec (TestEdges); this
// package sends them through every guest.

// Every case sent through the echo of every conformance guest from the Go host, as a raw call
// whose argument bytes are 0x91 and the case's bytes: the reply is {"ok": canonical bytes}, or an
// error named virgil.LimitExceeded (limits) or virgil.ArgumentError (malformed).
//
// The Go guest must answer every case. The other kits are being brought to these answers: a case
// another guest answers differently skips with "guest X: kit not yet conforming: <what>", so the
// remaining differences stay visible in the test log (go test -v) without failing the build.
func TestGuestsEcho(t *testing.T) {
	cases := load(t)
	guests := testlibs.ConformanceGuests()
	for _, lang := range slices.Sorted(func(yield func(string) bool) {
		for l := range guests {
			if !yield(l) {
				return
			}
		}
	}) {
		t.Run(lang, func(t *testing.T) {
			lib, err := host.Open(guests[lang](t))
			if err != nil {
				t.Fatal(err)
			}
			echo, err := lib.Func("echo")
			if err != nil {
				t.Fatal(err)
			}
			before, statsErr := lib.Stats()
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					// Every kit gives the same answer (cabi/ABI.md section 5).
					if diff := echoDiff(echo, c); diff != "" {
						t.Errorf("guest %s: %s", lang, diff)
					}
				})
			}
			if statsErr == nil {
				if after, err := lib.Stats(); err == nil && after.Live != before.Live {
					t.Errorf("guest %s: %d buffers live after the edges, %d before", lang, after.Live, before.Live)
				}
			}
		})
	}
}

// echoDiff calls echo with the case and returns how its answer differs from the case's, or "".
func echoDiff(echo *host.Function, c edges.Case) string {
	var reply []byte
	err := echo.Raw(append([]byte{0x91}, c.Bytes()...), func(r []byte) error {
		reply = bytes.Clone(r)
		return nil
	})
	if err != nil {
		return fmt.Sprintf("the host refused the reply: %v", err)
	}
	ok, value, err := codec.SplitEnvelope(reply)
	if err != nil {
		return fmt.Sprintf("the reply %x is no envelope: %v", reply, err)
	}
	if c.Error == "" {
		if !ok {
			return "refused: " + describe(value)
		}
		if !bytes.Equal(value, c.Canonical()) {
			return fmt.Sprintf("echoed %x, want %x", value, c.Canonical())
		}
		return ""
	}
	want := exceptions.ArgumentError
	if c.Error == exceptions.LimitExceeded {
		want = exceptions.LimitExceeded
	}
	if ok {
		return fmt.Sprintf("echoed %x, want %s", value, want)
	}
	x, err := exceptions.Unmarshal(value)
	if err != nil {
		return fmt.Sprintf("an error record that does not decode: %v", err)
	}
	if x.Name != want {
		return fmt.Sprintf("refused with %s (%s), want %s", x.Name, x.Message, want)
	}
	return ""
}

// describe renders an error record for a message.
func describe(record []byte) string {
	x, err := exceptions.Unmarshal(record)
	if err != nil {
		return fmt.Sprintf("an error record that does not decode: %v", err)
	}
	return x.Name + ": " + x.Message
}
