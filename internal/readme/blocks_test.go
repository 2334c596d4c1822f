package readme

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/internal/typedjson"
)

// block is one fenced code block of a Markdown file.
type block struct {
	file string   // the Markdown file, relative to the repository's root
	line int      // the line of its opening fence, from 1
	lang string   // the fence's info string: "go", "python", "" ...
	kind string   // the readme-test directive just above it: "go-main", "output", ...
	args []string // the directive's arguments
	text string   // the block's content, ending in a newline
}

func (b block) String() string {
	return fmt.Sprintf("%s:%d (```%s, %s)", b.file, b.line, b.lang, b.kind)
}

// arg returns the value of a name=value argument, or "".
func (b block) arg(name string) string {
	for _, a := range b.args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

var directive = regexp.MustCompile(`^<!--\s*readme-test:\s*(.*?)\s*-->$`)

// parseBlocks returns the fenced code blocks of a Markdown text, each with the readme-test
// directive on the last non-blank line before its fence (or none).
func parseBlocks(markdown string) ([]block, error) {
	var (
		blocks  []block
		current *block
		last    string // the last non-blank line outside a block
		body    strings.Builder
	)
	sc := bufio.NewScanner(strings.NewReader(markdown))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if current == nil {
			if info, ok := strings.CutPrefix(line, "```"); ok {
				current = &block{line: n, lang: strings.TrimSpace(info)}
				if m := directive.FindStringSubmatch(strings.TrimSpace(last)); m != nil {
					fields := strings.Fields(m[1])
					if len(fields) == 0 {
						return nil, fmt.Errorf("line %d: empty readme-test directive", n)
					}
					current.kind, current.args = fields[0], fields[1:]
				}
				body.Reset()
			} else if strings.TrimSpace(line) != "" {
				last = line
			}
			continue
		}
		if strings.TrimSpace(line) == "```" {
			current.text = body.String()
			blocks = append(blocks, *current)
			current, last = nil, ""
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	if current != nil {
		return nil, fmt.Errorf("line %d: code block never closed", current.line)
	}
	return blocks, sc.Err()
}

// documents are the Markdown files whose blocks are tested, relative to the repository's root.
var documents = []string{"README.md", "examples/exception-chain/README.md"}

// readBlocks returns the blocks of the document doc.
func readBlocks(t *testing.T, doc string) []block {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(), doc))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseBlocks(string(data))
	if err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	for i := range blocks {
		blocks[i].file = doc
	}
	return blocks
}

// repoRoot is the repository's absolute, clean root.
func repoRoot() string {
	root, err := filepath.Abs(typedjson.RepoRoot())
	if err != nil {
		panic(err)
	}
	return root
}

var (
	lineNumber  = regexp.MustCompile(`\bline \d+`)
	pythonMinor = regexp.MustCompile(`python3\.\d+`)
	markerLine  = regexp.MustCompile(`^\s*[\^~]+\s*$`)
)

// pasteable is an output as the README shows it: each of dirs (absolute paths) reads "...",
// Python 3.11's marker lines (^^^^) are dropped, and trailing blanks are trimmed.
func pasteable(out string, dirs ...string) string {
	for _, d := range dirs {
		if d != "" {
			out = strings.ReplaceAll(out, d, "...")
		}
	}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if !markerLine.MatchString(l) {
			lines = append(lines, strings.TrimRight(l, " \t"))
		}
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// normalize makes an output comparable with what the README shows: pasteable, and then
// traceback line numbers read "line N" and the Python minor version in paths "python3.N".
func normalize(out string, dirs ...string) string {
	out = pasteable(out, dirs...)
	out = lineNumber.ReplaceAllString(out, "line N")
	return pythonMinor.ReplaceAllString(out, "python3.N")
}

func TestParseBlocks(t *testing.T) {
	md := "# t\n\n<!-- readme-test: go-main lib=build/x.so -->\n```go\nfmt.Println(1)\n```\n\n" +
		"text\n```\nplain\n```\n<!-- readme-test: output -->\n\n```text\n1\n```\n"
	blocks, err := parseBlocks(md)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 {
		t.Fatalf("got %d blocks, want 3: %+v", len(blocks), blocks)
	}
	b := blocks[0]
	if b.line != 4 || b.lang != "go" || b.kind != "go-main" || b.arg("lib") != "build/x.so" || b.text != "fmt.Println(1)\n" {
		t.Errorf("block 0 = %+v", b)
	}
	if blocks[1].kind != "" || blocks[1].text != "plain\n" {
		t.Errorf("block 1 = %+v: a block after prose has no directive", blocks[1])
	}
	if blocks[2].kind != "output" || blocks[2].lang != "text" {
		t.Errorf("block 2 = %+v", blocks[2])
	}
	if _, err := parseBlocks("```go\nx\n"); err == nil {
		t.Error("an unclosed block is not an error")
	}
}

func TestNormalize(t *testing.T) {
	got := normalize("  File \"/tmp/r1/examples/main.py\", line 31, in f\n    f()\n    ^^^\n"+
		"  File \"/repo/build/python-env/lib/python3.11/x.py\", line 4, in g  \n\n", "/tmp/r1", "/repo")
	want := "  File \".../examples/main.py\", line N, in f\n    f()\n" +
		"  File \".../build/python-env/lib/python3.N/x.py\", line N, in g"
	if got != want {
		t.Errorf("normalize:\n%s\nwant:\n%s", got, want)
	}
}
