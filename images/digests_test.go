package main

import (
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
)

// Digests gives each image of the layout the digest of its index: what a
// release pins.
func TestDigests(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	idx, err := random.Index(64, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(dir, []Built{{Image: Image{Name: "hookops-server"}, Index: idx}}); err != nil {
		t.Fatal(err)
	}
	want, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Digests(dir)
	if err != nil || len(got) != 1 || got["hookops-server"] != want.String() {
		t.Errorf("Digests = %v, %v; want hookops-server %s", got, err, want)
	}
	if _, err := Digests(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("no error for a missing layout")
	}
}
