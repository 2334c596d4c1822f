package main

import (
	stderrors "errors"
	"fmt"
	"os"
	"strconv"
)

// The errors of ordinary code (cabi/ABI.md section 9): each function fails the way plain Go
// fails, through the standard library and a user's own error type, with nothing named by hand.
// The guest glue names them by the shared table (section 7.1): os.ReadFile's *fs.PathError over
// ENOENT is FileNotFoundError with errno and filename, strconv's errors are ValueError and
// OverflowError, errors.New is Exception, and QuotaError keeps its own name and fields.

// ReadFile returns the bytes of the file at path.
//
//virgil:export
func ReadFile(path string) ([]byte, error) {
	return os.ReadFile(path)
}

// LoadConfig reads the configuration file at path, saying what it was doing when it fails.
//
//virgil:export
func LoadConfig(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return data, nil
}

// ParseInt parses s as a decimal 64-bit integer.
//
//virgil:export
func ParseInt(s string) (int64, error) {
	return strconv.ParseInt(s, 10, 64)
}

// FailPlain fails with a plain error carrying message.
//
//virgil:export
func FailPlain(message string) error {
	return stderrors.New(message)
}

// QuotaError is a user's own error type; its exported fields cross as the record's attributes.
type QuotaError struct {
	Code   int64
	Reason string
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("quota exceeded: %s (code %d)", e.Reason, e.Code)
}

// FailAttrs fails with a QuotaError holding code and reason.
//
//virgil:export
func FailAttrs(code int64, reason string) error {
	return &QuotaError{Code: code, Reason: reason}
}
