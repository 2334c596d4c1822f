package codec

// DecodeScalar decodes the next value as Decode does when v points to one of the types Decode
// reads without reflection (bool, int, int32, int64, uint64, float32, float64, string, []byte,
// Closure and any), with the same checks and errors, and reports true. For any other v it reads
// nothing and reports false. Unlike Decode it does not keep v, so a pointer to a local variable
// passed here stays on the stack: a typed caller (a generic function's parameter) decodes the
// common types without a heap allocation.
func (d *Decoder) DecodeScalar(v any) (bool, error) {
	n, err := d.decodeFast(d.Remaining(), v)
	if err != nil {
		return true, err
	}
	if n == 0 {
		return false, nil
	}
	d.off += n
	return true, nil
}
