package ghwebhook

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func strs(bs [][]byte) []string {
	var out []string
	for _, b := range bs {
		out = append(out, string(b))
	}
	return out
}

func TestReadSecrets(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string
		err     error
	}{
		{"one, no newline", "s3cret", []string{"s3cret"}, nil},
		{"one with newline", "s3cret\n", []string{"s3cret"}, nil},
		{"two while rotating", "new\n\n  old  \n", []string{"new", "old"}, nil},
		{"CRLF", "a\r\nb\r\n", []string{"a", "b"}, nil},
		{"empty", "\n  \n", nil, errNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readSecrets(path)
			if !errors.Is(err, tt.err) || !slices.Equal(strs(got), tt.want) {
				t.Errorf("readSecrets = %q, %v; want %q, %v", strs(got), err, tt.want, tt.err)
			}
		})
	}
}

// A rotated secret is used without a restart; a broken file keeps the last
// good secrets; a missing file at start is an error.
func TestSecretFileReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if _, err := newSecretFile(path); err == nil {
		t.Fatal("newSecretFile of a missing file succeeded")
	}
	write := func(content string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-time.Hour)
	write("old\n", base)
	f, err := newSecretFile(path)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	f.now = func() time.Time { return clock }
	check := func(want ...string) {
		t.Helper()
		got, err := f.get()
		if err != nil || !slices.Equal(strs(got), want) {
			t.Fatalf("get = %q, %v; want %q", strs(got), err, want)
		}
	}
	check("old")
	write("new\nold\n", base.Add(time.Second))
	check("old") // not looked at again within a second
	clock = clock.Add(time.Second)
	check("new", "old")
	write("\n", base.Add(2*time.Second))
	clock = clock.Add(time.Second)
	check("new", "old") // an emptied file keeps the last good secrets
	write("new\n", base.Add(3*time.Second))
	clock = clock.Add(time.Second)
	check("new")
}
