package typedjson

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Vector is one entry of cabi/testdata/vectors.json.
type Vector struct {
	Name         string          `json:"name"`
	Kind         string          `json:"kind"`
	Hex          string          `json:"hex"`
	CanonicalHex string          `json:"canonical_hex"`
	Value        json.RawMessage `json:"value"`
}

// Bytes returns the vector's input bytes.
func (v Vector) Bytes() []byte { return mustHex(v.Hex) }

// Canonical returns the bytes encoding the vector's value must give.
func (v Vector) Canonical() []byte {
	if v.CanonicalHex != "" {
		return mustHex(v.CanonicalHex)
	}
	return v.Bytes()
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// RepoRoot returns the repository's root directory, found from this source file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// LoadVectors reads cabi/testdata/vectors.json.
func LoadVectors() ([]Vector, error) {
	raw, err := os.ReadFile(filepath.Join(RepoRoot(), "cabi", "testdata", "vectors.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		ABI     int      `json:"abi"`
		Vectors []Vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("vectors.json: %w", err)
	}
	return doc.Vectors, nil
}
