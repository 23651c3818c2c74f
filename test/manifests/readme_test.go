package manifests_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hookops/hookops/test/reference"
)

// stepRef is a `file.go:function` in the README's request paths.
var stepRef = regexp.MustCompile("`([a-z0-9/_-]+\\.go):([A-Za-z0-9_]+)`")

// TestReadmeRequestPaths keeps the README's "Request paths" true: every
// file:function it names is a function (or method) declared in that file.
func TestReadmeRequestPaths(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(reference.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "### Request paths")
	if start < 0 {
		t.Fatal(`README.md has no "### Request paths" section`)
	}
	section := text[start:]
	if end := strings.Index(section[1:], "\n## "); end >= 0 {
		section = section[:end+1]
	}
	refs := stepRef.FindAllStringSubmatch(section, -1)
	if len(refs) < 20 {
		t.Fatalf("found %d file:function steps in the request paths, want at least 20", len(refs))
	}
	declared := map[string]map[string]bool{}
	for _, ref := range refs {
		file, fn := ref[1], ref[2]
		if declared[file] == nil {
			declared[file] = funcsIn(t, file)
		}
		if !declared[file][fn] {
			t.Errorf("README request paths: %s declares no function %s", file, fn)
		}
	}
}

// funcsIn lists the functions and methods declared in a file of the repository.
func funcsIn(t *testing.T, file string) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(reference.RepoRoot(), file), nil, parser.SkipObjectResolution)
	if err != nil {
		t.Errorf("README request paths name %s: %v", file, err)
		return map[string]bool{}
	}
	out := map[string]bool{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			out[fd.Name.Name] = true
		}
	}
	return out
}
