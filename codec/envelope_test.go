package codec_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	e := codec.NewEncoder(&buf)
	if err := e.EncodeOK(3); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x81, 0xa2, 'o', 'k', 0x03}; !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("got %x", buf.Bytes())
	}
	var n int
	if err := codec.DecodeReply(buf.Bytes(), &n); err != nil || n != 3 {
		t.Fatalf("n=%d err=%v", n, err)
	}

	buf.Reset()
	e.EncodeError(exceptions.New("ValueError", "bad value"))
	err := codec.DecodeReply(buf.Bytes(), &n)
	var x *exceptions.Exception
	if !errors.As(err, &x) || x.Name != "ValueError" || x.Message != "bad value" || len(x.Traceback) == 0 {
		t.Fatalf("got %#v", err)
	}
}

func TestDecodeReplyRejectsNonEnvelopes(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "empty"},
		{"not a map", "\xa7garbage", "a str, not an envelope"},
		{"two keys", "\x82\xa2ok\x01\xa5extra\x02", "2 entries"},
		{"wrong key", "\x81\xa6result\x01", `"result"`},
		{"trailing", "\x81\xa2ok\x01\xc0", "unexpected bytes"},
		{"truncated", "\x81\xa2ok\xcd\x01", "truncated"},
		{"key not a string", "\x81\x01\x01", "expected str, got int"},
		{"bad exception", "\x81\xa5error\xa3bad", "malformed exception record"},
		{"wrong result type", "\x81\xa2ok\xa1x", "result: expected int, got str"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			err := codec.DecodeReply([]byte(tc.in), &n)
			var x *exceptions.Exception
			if !errors.As(err, &x) || x.Name != exceptions.ResultError || !strings.Contains(x.Message, tc.want) {
				t.Fatalf("got %v, want virgil.ResultError containing %q", err, tc.want)
			}
		})
	}
}
