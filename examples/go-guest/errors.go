package main

import "fmt"

// ZeroDivisionError is the error of a division by zero, named as Python names it so that a
// Python host raises its built-in ZeroDivisionError.
type ZeroDivisionError struct{}

func (ZeroDivisionError) Error() string { return "division by zero" }

// ExceptionName names the error on the wire.
func (ZeroDivisionError) ExceptionName() string { return "ZeroDivisionError" }

// OverflowError is an integer result that does not fit.
type OverflowError struct{}

func (OverflowError) Error() string { return "integer overflow" }

// ExceptionName names the error on the wire.
func (OverflowError) ExceptionName() string { return "OverflowError" }

// ValueError is an argument with the right type but a wrong value.
type ValueError string

func (e ValueError) Error() string { return string(e) }

// ExceptionName names the error on the wire.
func (ValueError) ExceptionName() string { return "ValueError" }

// ChainError is one level of FailChain's cause chain.
type ChainError struct {
	Level int
	Cause error
}

func (e *ChainError) Error() string {
	if e.Cause == nil {
		return fmt.Sprintf("level %d", e.Level)
	}
	return fmt.Sprintf("level %d: %v", e.Level, e.Cause)
}

// Unwrap returns the level below.
func (e *ChainError) Unwrap() error { return e.Cause }

// ExceptionName names the level: ChainLevel1, ChainLevel2, ...
func (e *ChainError) ExceptionName() string { return fmt.Sprintf("ChainLevel%d", e.Level) }

// CallbackFailed is the Go guest's own level over a callback's failure: it names the function
// that called the callback, and its cause is the callback's exception, with the caller's frames.
type CallbackFailed struct {
	Function string
	Err      error
}

func (e *CallbackFailed) Error() string {
	return fmt.Sprintf("%s: the callback failed: %v", e.Function, e.Err)
}

// Unwrap returns the callback's failure.
func (e *CallbackFailed) Unwrap() error { return e.Err }

// ExceptionName names the error on the wire.
func (e *CallbackFailed) ExceptionName() string { return "CallbackFailed" }
