package host

import "testing"

// Every type of the vocabulary parses back to itself (String leaves out the optional marks).
func TestParseTypeRoundTrip(t *testing.T) {
	for s, want := range map[string]string{
		"int": "int", "str?": "str", "[float]": "[float]", "{str: [int]}": "{str: [int]}", "{}": "{}",
		`{"count": int, "mean": float, "tags": [str]?}`: `{"count": int, "mean": float, "tags": [str]}`,
		"fn(int, str) -> nil":                           "fn(int, str) -> nil", "fn(fn(int) -> int) -> [any]": "fn(fn(int) -> int) -> [any]",
		"fn() -> str?": "fn() -> str",
	} {
		if got := parseType(s).String(); got != want {
			t.Errorf("parseType(%q) = %q, want %q", s, got, want)
		}
	}
	for _, bad := range []string{"", "[int", "{str int}", "fn(int) int", "int??x", `{"a": }`} {
		if parseType(bad) != anyNode {
			t.Errorf("parseType(%q) is not any", bad)
		}
	}
}

func TestFits(t *testing.T) {
	for _, tc := range []struct {
		from, into string
		ok         bool
	}{
		{"int", "int", true},
		{"int", "uint", true},
		{"int", "float", true},
		{"float", "int", false},
		{"str", "bytes", false},
		{"any", "str", true},
		{"[int]", "any", true},
		{"[int]", "[float]", true},
		{"[str]", "[int]", false},
		{"nil", "int?", true},
		{"nil", "[int]", true},
		{"nil", "int", false},
		{"int?", "int", true},
		{`{"count": int, "mean": float}`, `{"Count": int, "Mean": float, "Extra": str?}`, true},
		{`{"max_value": int}`, `{"MaxValue": str}`, false},
		{`{"a": int}`, "{str: float}", true},
		{`{"a": str}`, "{str: float}", false},
		{"{str: int}", `{"a": int}`, true},
		{"fn(int) -> int", "fn(int) -> float", true},
		{"fn(int) -> int", "fn(int, int) -> int", false},
		{"fn(float) -> int", "fn(int) -> int", true},  // called back with ints, which lift as floats
		{"fn(int) -> int", "fn(float) -> int", false}, // called back with floats, which lift as no int
	} {
		why := fits(parseType(tc.from), parseType(tc.into))
		if (why == "") != tc.ok {
			t.Errorf("fits(%s, %s) = %q, want ok=%v", tc.from, tc.into, why, tc.ok)
		}
	}
}
