package uncurry_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/internal/edges"
	"github.com/virgilffi/virgil/uncurry"
)

// echoes are an echo(v any) any made every way a guest makes one: the generic constructor and
// reflection.
func echoes(t *testing.T) map[string]*uncurry.Function {
	echo := func(v any) any { return v }
	adapted, err := uncurry.Adapt("echo", echo)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*uncurry.Function{"generic": uncurry.Func1("echo", echo), "adapted": adapted}
}

// Every case of cabi/testdata/edges.json sent as the argument of echo (0x91 + the case's bytes):
// the reply is {"ok": the canonical bytes}, or virgil.LimitExceeded for a limit and
// virgil.ArgumentError for malformed bytes.
func TestEchoEdges(t *testing.T) {
	cases, err := edges.Load()
	if err != nil {
		t.Fatal(err)
	}
	for how, echo := range echoes(t) {
		for _, c := range cases {
			t.Run(how+"/"+c.Name, func(t *testing.T) {
				reply := handle(t, echo, append([]byte{0x91}, c.Bytes()...))
				switch c.Error {
				case "":
					want := append([]byte{0x81, 0xa2, 'o', 'k'}, c.Canonical()...)
					if !bytes.Equal(reply, want) {
						t.Fatalf("reply %x, want %x (%v)", reply, want, codec.DecodeReply(reply, nil))
					}
				default:
					x := replyError(t, reply)
					want := exceptions.ArgumentError
					if c.Error == exceptions.LimitExceeded {
						want = exceptions.LimitExceeded
					}
					if x.Name != want || !strings.HasPrefix(x.Message, "echo: argument 1") {
						t.Fatalf("error %s: %s, want %s naming argument 1", x.Name, x.Message, want)
					}
				}
			})
		}
	}
}

// A hostile host's arguments (cabi/conformance/hostile.json, host_faults): every one gives an
// error reply naming the fault, never a panic. add's second parameter is an any here, so that
// too-deep and invalid values reach the decoder's checks rather than a type mismatch.
func TestHostileArguments(t *testing.T) {
	add := func(a int, b any) any { return b }
	adapted, err := uncurry.Adapt("add", add)
	if err != nil {
		t.Fatal(err)
	}
	deep := append(append([]byte{0x92, 0x01}, bytes.Repeat([]byte{0x91}, 600)...), 0x01)
	for name, tc := range map[string]struct {
		in         []byte
		name, want string
	}{
		"nothing":                {nil, exceptions.ArgumentError, "add: malformed arguments: expected array, got nothing"},
		"garbage":                {[]byte{0xc1, 0xff, 0x00}, exceptions.ArgumentError, "add: malformed arguments"},
		"not an array":           {[]byte{0x05}, exceptions.ArgumentError, "add: malformed arguments: expected array, got int"},
		"truncated array header": {[]byte{0xdd, 0x00}, exceptions.ArgumentError, "add: malformed arguments"},
		"truncated argument":     {[]byte{0x92, 0x01, 0xcd, 0x00}, exceptions.ArgumentError, "add: argument 2"},
		"huge array":             {[]byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}, exceptions.ArgumentError, "add: expected 2 arguments, got 4294967295"},
		"huge str argument":      {[]byte{0x92, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}, exceptions.ArgumentError, "add: argument 2"},
		"trailing bytes":         {[]byte{0x92, 0x01, 0x02, 0x03}, exceptions.ArgumentError, "add: malformed arguments: unexpected bytes"},
		"wrong type":             {[]byte{0x92, 0xa1, 'x', 0x01}, exceptions.ArgumentError, "add: argument 1: expected int, got str"},
		"ext argument":           {[]byte{0x92, 0xd4, 0x01, 0x00, 0x01}, exceptions.ArgumentError, "add: argument 1: expected int, got ext 1"},
		"duplicate keys":         {[]byte{0x92, 0x01, 0x91, 0x82, 0x01, 0x01, 0x01, 0x02}, exceptions.ArgumentError, "add: argument 2[0]: duplicate map key 1"},
		"bad timestamp":          {[]byte{0x92, 0x01, 0xc7, 0x03, 0xff, 0, 0, 0}, exceptions.ArgumentError, "add: argument 2: msgpack: a timestamp of 3 bytes"},
		"too deep":               {deep, exceptions.LimitExceeded, "add: argument 2: msgpack: nesting deeper than 512 levels"},
		"invalid UTF-8":          {[]byte{0x92, 0x01, 0xa1, 0xff}, exceptions.ArgumentError, "add: argument 2: msgpack: a str that is not valid UTF-8"},
	} {
		for how, f := range map[string]*uncurry.Function{"generic": uncurry.Func2("add", add), "adapted": adapted} {
			t.Run(name+"/"+how, func(t *testing.T) {
				x := replyError(t, handle(t, f, tc.in))
				if x.Name != tc.name || !strings.HasPrefix(x.Message, tc.want) {
					t.Fatalf("%s: %s, want %s: %s...", x.Name, x.Message, tc.name, tc.want)
				}
			})
		}
	}
}
