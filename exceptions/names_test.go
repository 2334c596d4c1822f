package exceptions

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// FrameworkNames is the first column of the table of cabi/ABI.md section 7, row by row.
func TestFrameworkNamesMatchABI(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "cabi", "ABI.md"))
	if err != nil {
		t.Fatalf("reading the spec: %v", err)
	}
	text := string(doc)
	start := strings.Index(text, "\n## 7. ")
	if start < 0 {
		t.Fatal("cabi/ABI.md has no section 7")
	}
	section := text[start+1:]
	if end := strings.Index(section, "\n### 7.1"); end >= 0 {
		section = section[:end]
	}
	row := regexp.MustCompile("^\\| `(virgil\\.[A-Za-z]+)` \\|")
	var table []string
	for _, line := range strings.Split(section, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			table = append(table, m[1])
		}
	}
	if len(table) == 0 {
		t.Fatal("found no names in the table of section 7")
	}
	if !slices.Equal(table, FrameworkNames) {
		t.Errorf("cabi/ABI.md section 7 names\n  %v\nexceptions.FrameworkNames holds\n  %v", table, FrameworkNames)
	}
}
