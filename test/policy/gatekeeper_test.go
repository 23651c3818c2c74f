package policy

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestGatekeeper runs gator's suite (gatekeeper/suite.yaml) for the shipped
// ConstraintTemplate and Constraint, and opa test on the template's Rego.
func TestGatekeeper(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(repoRoot(t), "test", "policy", "gatekeeper")

	t.Run("gator verify", func(t *testing.T) {
		out := run(t, dir, tool(t, "gator"), "verify", "-v", "suite.yaml")
		t.Logf("gator verify:\n%s", out)
	})

	t.Run("opa test", func(t *testing.T) {
		opa := tool(t, "opa")
		// opa test reads .rego files only, so the template's Rego is put next
		// to its tests; the template stays the single source.
		src := regoSource(t, filepath.Join(repoRoot(t), "manifests", "policy", "gatekeeper", "template.yaml"))
		// opa 1.x parses Rego v1 by default, so opa test checks what
		// Gatekeeper compiles only while the template says v1 too.
		if src["version"] != "v1" {
			t.Fatalf("template Rego source.version = %v, want v1 (what opa test parses)", src["version"])
		}
		tmp := t.TempDir()
		writeFile(t, filepath.Join(tmp, "template.rego"), src["rego"].(string))
		tests, err := os.ReadFile(filepath.Join(dir, "template_test.rego"))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(tmp, "template_test.rego"), string(tests))
		out := run(t, tmp, opa, "test", "-v", ".")
		t.Logf("opa test:\n%s", out)
	})
}

// regoSource returns the source of the template's Rego code (its rego and
// version), failing the test if there is not exactly one.
func regoSource(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl unstructured.Unstructured
	if err := yaml.Unmarshal(data, &tmpl.Object); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	targets, _, _ := unstructured.NestedSlice(tmpl.Object, "spec", "targets")
	var sources []map[string]any
	for _, target := range targets {
		code, _, _ := unstructured.NestedSlice(target.(map[string]any), "code")
		for _, c := range code {
			c := c.(map[string]any)
			if src, ok := c["source"].(map[string]any); ok && c["engine"] == "Rego" {
				sources = append(sources, src)
			}
		}
	}
	if len(sources) != 1 {
		t.Fatalf("%s: found %d Rego sources, want 1", path, len(sources))
	}
	if _, ok := sources[0]["rego"].(string); !ok {
		t.Fatalf("%s: the Rego source has no rego text", path)
	}
	return sources[0]
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
