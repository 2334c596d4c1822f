package exceptions

import (
	"bytes"
	"strings"
	"testing"
)

// Unknown values of every MessagePack family are skipped exactly, so the
// keys after them are read in step; truncated ones and the reserved code are
// errors.
func TestSkipEveryFamily(t *testing.T) {
	values := map[string][]byte{
		"fixint":    {0x05},
		"negative":  {0xe0},
		"uint64":    {0xcf, 1, 2, 3, 4, 5, 6, 7, 8},
		"int16":     {0xd1, 0xff, 0x00},
		"float32":   {0xca, 0, 0, 0, 0},
		"float64":   {0xcb, 0, 0, 0, 0, 0, 0, 0, 0},
		"fixstr":    {0xa2, 'h', 'i'},
		"str8":      append([]byte{0xd9, 40}, bytes.Repeat([]byte{'x'}, 40)...),
		"str16":     append([]byte{0xda, 0x01, 0x00}, bytes.Repeat([]byte{'x'}, 256)...),
		"str32":     append([]byte{0xdb, 0, 0, 0x20, 0x00}, bytes.Repeat([]byte{'x'}, 8192)...),
		"bin8":      {0xc4, 2, 0xc1, 0xc1},
		"bin16":     {0xc5, 0, 1, 0xc1},
		"fixext1":   {0xd4, 0x01, 0xc1},
		"fixext16":  append([]byte{0xd8, 0x01}, make([]byte, 16)...),
		"time":      {0xd6, 0xff, 0, 0, 0, 0},
		"ext8":      {0xc7, 3, 0x05, 0xc1, 0xc1, 0xc1},
		"ext16":     {0xc8, 0, 1, 0x05, 0xc1},
		"ext32":     {0xc9, 0, 0, 0, 2, 0x05, 0xc1, 0xc1},
		"nested":    {0x92, 0x81, 0xa1, 'k', 0x90, 0xdc, 0x00, 0x01, 0xc4, 0x00},
		"map16":     {0xde, 0x00, 0x01, 0x01, 0x02},
		"empty map": {0x80},
		"nil":       {0xc0},
		"bool":      {0xc3},
		"array32":   {0xdd, 0, 0, 0, 2, 0x01, 0x02},
		"map32":     {0xdf, 0, 0, 0, 1, 0xc0, 0xc0},
		"array":     {0x91, 0xa1, 'x'},
	}
	for name, v := range values {
		rec := newBuild().m(3).s("name").s("E").s("junk").raw(v).s("message").s("after").bytes()
		e, err := Unmarshal(rec)
		if err != nil || e.Message != "after" {
			t.Errorf("%s: %v, %+v", name, err, e)
		}
		asKey := newBuild().m(3).s("name").s("E").raw(v).i(1).s("message").s("after").bytes()
		if e, err := Unmarshal(asKey); err != nil || e.Message != "after" {
			t.Errorf("%s as a key: %v, %+v", name, err, e)
		}
		if len(v) > 1 {
			cut := newBuild().m(2).s("name").s("E").s("junk").raw(v[:len(v)-1]).bytes()
			if _, err := Unmarshal(cut); err == nil || !strings.Contains(err.Error(), "truncated input") {
				t.Errorf("%s cut short: %v", name, err)
			}
		}
	}
	reserved := newBuild().m(2).s("name").s("E").s("junk").raw([]byte{0xc1}).bytes()
	if _, err := Unmarshal(reserved); err == nil || !strings.Contains(err.Error(), "invalid code 0xc1") {
		t.Errorf("reserved code: %v", err)
	}
}
