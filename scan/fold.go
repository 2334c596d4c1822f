package scan

// Fold returns the folded form of a struct field name, map key or attribute key (cabi/ABI.md
// sections 5 and 6): ASCII letters lowercased, every '_' and '-' removed, so Go's MaxValue, Rust's
// max_value and Haskell's maxValue all fold to "maxvalue". Keys that do not match exactly are
// matched by it; the codec's struct rule and the exception records' attributes share it here.
func Fold(name string) string {
	var buf [64]byte
	return string(AppendFold(buf[:0], name))
}

// AppendFold appends the folded form of name (a string or a byte slice) to dst.
func AppendFold[S string | []byte](dst []byte, name S) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_' || c == '-':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
