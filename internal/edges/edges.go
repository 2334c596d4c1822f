// Package edges reads cabi/testdata/edges.json, the edges of the value mapping (cabi/ABI.md
// sections 5 and 11) that every kit answers the same way, and its test runs every case against
// the Go codec and, through the Go host, against every conformance guest's echo.
//
// A case is one value's bytes. Decoded as any and encoded back, they give CanonicalHex when the
// case has one, else exactly Hex; a case with an Error is refused instead: "virgil.LimitExceeded"
// for a limit, "malformed" for anything else (virgil.ArgumentError from a guest's echo).
package edges

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/virgilffi/virgil/internal/typedjson"
)

// Malformed is the Error of a case whose bytes are refused as malformed (not a limit).
const Malformed = "malformed"

// Case is one entry of edges.json.
type Case struct {
	Name         string `json:"name"`
	Hex          string `json:"hex"`
	CanonicalHex string `json:"canonical_hex"`
	Error        string `json:"error"`
}

// Bytes returns the case's input bytes.
func (c Case) Bytes() []byte { return mustHex(c.Hex) }

// Canonical returns the bytes that encoding the decoded value must give (for a case without an
// Error).
func (c Case) Canonical() []byte {
	if c.CanonicalHex != "" {
		return mustHex(c.CanonicalHex)
	}
	return c.Bytes()
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(fmt.Sprintf("edges.json: %v", err))
	}
	return b
}

// Load reads the cases of cabi/testdata/edges.json.
func Load() ([]Case, error) {
	raw, err := os.ReadFile(filepath.Join(typedjson.RepoRoot(), "cabi", "testdata", "edges.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Cases []Case `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("edges.json: %w", err)
	}
	for _, c := range doc.Cases {
		if _, err := hex.DecodeString(c.Hex); err != nil {
			return nil, fmt.Errorf("edges.json: case %q: %w", c.Name, err)
		}
		if _, err := hex.DecodeString(c.CanonicalHex); err != nil {
			return nil, fmt.Errorf("edges.json: case %q: canonical_hex: %w", c.Name, err)
		}
	}
	return doc.Cases, nil
}
