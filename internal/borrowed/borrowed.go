// Package borrowed reads cabi/testdata/borrowed.json, the vectors of borrowed bytes (cabi/ABI.md
// section 16): how a borrowed value is written, the broken ones a guest refuses, the lent ones it
// accepts, and the borrowed replies a host checks against the memory it lent.
package borrowed

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/virgilffi/virgil/internal/typedjson"
)

// Encoding is one entry of `encoding`: a borrowed value of kind Ext with words Ptr and Len
// written as Hex, or (Args) an argument array holding borrowed values.
type Encoding struct {
	Name    string `json:"name"`
	Ext     int8   `json:"ext"`
	Ptr     uint64 `json:"ptr"`
	Len     uint64 `json:"len"`
	ReadsAs string `json:"reads_as"`
	Args    bool   `json:"args"`
	Hex     string `json:"hex"`
}

// Argument is one entry of `arguments`: an argument array sent as in to Function, refused with
// Expect before any lent byte is read.
type Argument struct {
	Name     string `json:"name"`
	Hex      string `json:"hex"`
	Function string `json:"function"`
	Expect   string `json:"expect"`
}

// Lent is one entry of `arguments_lent`: the caller lends real memory holding BytesHex as the
// only argument of Function, as ext Ext; Expect is "ok" or an error name.
type Lent struct {
	Name     string `json:"name"`
	BytesHex string `json:"bytes_hex"`
	Ext      int8   `json:"ext"`
	Function string `json:"function"`
	Expect   string `json:"expect"`
}

// Reply is one entry of `replies`: a borrowed reply value placed at Offset from the first byte of
// one borrowed argument of Lent bytes (or at the absolute Ptr when Ptr is set), Len bytes long.
type Reply struct {
	Name   string  `json:"name"`
	Lent   uint64  `json:"lent"`
	Offset int64   `json:"offset"`
	Ptr    *uint64 `json:"ptr"`
	Len    uint64  `json:"len"`
	Expect string  `json:"expect"`
}

// Doc is the whole file.
type Doc struct {
	Encoding  []Encoding `json:"encoding"`
	Arguments []Argument `json:"arguments"`
	Lent      []Lent     `json:"arguments_lent"`
	Replies   []Reply    `json:"replies"`
}

// Bytes decodes a hex field of the file.
func Bytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(fmt.Sprintf("borrowed.json: %v", err))
	}
	return b
}

// Load reads cabi/testdata/borrowed.json.
func Load() (*Doc, error) {
	raw, err := os.ReadFile(filepath.Join(typedjson.RepoRoot(), "cabi", "testdata", "borrowed.json"))
	if err != nil {
		return nil, err
	}
	var d Doc
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("borrowed.json: %w", err)
	}
	return &d, nil
}
