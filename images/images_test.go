package main

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	specsv1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestImages builds both images twice through the command, pushes the first
// build to an in-process registry, pulls the images back and checks what a
// cluster relies on: reproducible digests, both platforms, a non-root user,
// the binary as entrypoint, nothing but the binary in the file system, and
// a static binary that answers --help.
func TestImages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four Go binaries twice")
	}
	ctx := t.Context()
	log.SetOutput(io.Discard) // as main does: ko's build log
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	const epoch = 1700000000
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	created := time.Unix(epoch, 0).UTC()

	var layouts [2]string
	for i := range layouts {
		layouts[i] = filepath.Join(t.TempDir(), "layout")
		var out bytes.Buffer
		start := time.Now()
		if err := run(ctx, []string{"build", "--out", layouts[i]}, os.Getenv, &out, os.Stderr); err != nil {
			t.Fatalf("build %d: %v", i+1, err)
		}
		t.Logf("build %d took %s:\n%s", i+1, time.Since(start).Round(time.Second), out.String())
	}
	first, second := layoutDigests(t, layouts[0]), layoutDigests(t, layouts[1])
	for _, img := range Images {
		if first[img.Name] == (v1.Hash{}) {
			t.Fatalf("the layout has no index named %s: %v", img.Name, first)
		}
		if first[img.Name] != second[img.Name] {
			t.Errorf("%s: two builds gave %s and %s", img.Name, first[img.Name], second[img.Name])
		}
	}
	a, _ := os.ReadFile(filepath.Join(layouts[0], "index.json"))
	b, _ := os.ReadFile(filepath.Join(layouts[1], "index.json"))
	if !bytes.Equal(a, b) {
		t.Errorf("the layouts' index.json differ:\n%s\n%s", a, b)
	}

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	reg := strings.TrimPrefix(srv.URL, "http://") + "/acme"
	var out bytes.Buffer
	if err := run(ctx, []string{"push", "--layout", layouts[0], "--registry", reg, "--tag", "v0.0.1"}, os.Getenv, &out, os.Stderr); err != nil {
		t.Fatalf("push: %v", err)
	}
	t.Logf("push:\n%s", out.String())

	for _, img := range Images {
		t.Run(img.Name, func(t *testing.T) {
			ref, err := name.ParseReference(reg + "/" + img.Name + ":v0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			idx, err := remote.Index(ref, remote.WithContext(ctx))
			if err != nil {
				t.Fatalf("pull %s: %v", ref, err)
			}
			if d, err := idx.Digest(); err != nil || d != first[img.Name] {
				t.Errorf("pulled index digest %s (%v), built %s", d, err, first[img.Name])
			}
			im, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			var platforms []string
			for _, desc := range im.Manifests {
				if desc.Platform == nil {
					t.Fatalf("manifest %s has no platform", desc.Digest)
				}
				platforms = append(platforms, desc.Platform.String())
				image, err := idx.Image(desc.Digest)
				if err != nil {
					t.Fatal(err)
				}
				checkImage(t, ctx, img, image, *desc.Platform, created)
			}
			slices.Sort(platforms)
			if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(platforms, want) {
				t.Errorf("platforms %v, want %v", platforms, want)
			}
		})
	}
}

// layoutDigests maps the ref.name of each index in an image layout to its
// digest.
func layoutDigests(t *testing.T, dir string) map[string]v1.Hash {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]v1.Hash{}
	for _, desc := range im.Manifests {
		out[desc.Annotations[specsv1.AnnotationRefName]] = desc.Digest
	}
	return out
}

func checkImage(t *testing.T, ctx context.Context, img Image, image v1.Image, p v1.Platform, created time.Time) {
	t.Helper()
	cf, err := image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != p.OS || cf.Architecture != p.Architecture {
		t.Errorf("%s: config says %s/%s", p, cf.OS, cf.Architecture)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("%s: user %q, want 65532:65532", p, cf.Config.User)
	}
	if want := []string{img.Entrypoint()}; !slices.Equal(cf.Config.Entrypoint, want) || len(cf.Config.Cmd) > 0 {
		t.Errorf("%s: entrypoint %q cmd %q, want %q", p, cf.Config.Entrypoint, cf.Config.Cmd, want)
	}
	if !cf.Created.Time.Equal(created) {
		t.Errorf("%s: created %s, want %s", p, cf.Created.Time, created)
	}

	// The file system: ko's empty /var/run/ko and the binary, nothing else
	// (no shell, no other files).
	files := map[string][]byte{}
	var dirs []string
	tr := tar.NewReader(mutate.Extract(image))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: reading the layers: %v", p, err)
		}
		// ko writes some names with a leading slash and some without.
		name := "/" + strings.Trim(h.Name, "/")
		switch h.Typeflag {
		case tar.TypeDir:
			dirs = append(dirs, name)
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[name] = b
			if h.Mode&0o111 == 0 {
				t.Errorf("%s: %s is not executable (mode %o)", p, h.Name, h.Mode)
			}
		default:
			t.Errorf("%s: unexpected entry %s (type %c)", p, h.Name, h.Typeflag)
		}
	}
	if len(files) != 1 || files[img.Entrypoint()] == nil {
		t.Fatalf("%s: files %v, want only %s", p, mapsKeys(files), img.Entrypoint())
	}
	slices.Sort(dirs)
	if want := []string{"/ko-app", "/var", "/var/run", "/var/run/ko"}; !slices.Equal(dirs, want) {
		t.Errorf("%s: directories %q, want %q", p, dirs, want)
	}

	bin := filepath.Join(t.TempDir(), filepath.Base(img.Entrypoint()))
	if err := os.WriteFile(bin, files[img.Entrypoint()], 0o755); err != nil {
		t.Fatal(err)
	}
	checkBinary(t, bin, p)
	if p.OS != runtime.GOOS || p.Architecture != runtime.GOARCH {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --help: %v\n%s", img.Entrypoint(), err, out)
	}
	if !strings.Contains(string(out), "Usage of") {
		t.Errorf("%s --help printed no usage:\n%s", img.Entrypoint(), out)
	}
}

// checkBinary checks that the file is a static executable of the platform,
// built without cgo, with trimmed paths, and with the fallback CA roots.
func checkBinary(t *testing.T, path string, p v1.Platform) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP || prog.Type == elf.PT_DYNAMIC {
			t.Errorf("%s: the binary is dynamically linked (%s)", p, prog.Type)
		}
	}
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[p.Architecture]
	if f.Machine != machine {
		t.Errorf("%s: ELF machine %s", p, f.Machine)
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for k, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "GOOS": p.OS, "GOARCH": p.Architecture} {
		if settings[k] != want {
			t.Errorf("%s: build setting %s=%q, want %q", p, k, settings[k], want)
		}
	}
	if !slices.ContainsFunc(info.Deps, func(m *debug.Module) bool { return m.Path == "golang.org/x/crypto/x509roots/fallback" }) {
		t.Errorf("%s: the binary lacks golang.org/x/crypto/x509roots/fallback (CA roots)", p)
	}
}

func mapsKeys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestSourceDate(t *testing.T) {
	for in, want := range map[string]time.Time{"": time.Unix(0, 0).UTC(), "1700000000": time.Unix(1700000000, 0).UTC()} {
		got, err := sourceDate(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("sourceDate(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := sourceDate("yesterday"); err == nil {
		t.Error("sourceDate(yesterday): no error")
	}
}

func TestWriteLayoutKeepsOtherDirectories(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(dir, nil); err == nil {
		t.Fatal("WriteLayout replaced a directory that is not an image layout")
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatal(err)
	}
}

func TestPushNeedsRegistry(t *testing.T) {
	err := run(t.Context(), []string{"push", "--layout", t.TempDir()}, os.Getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--registry") {
		t.Fatalf("push without --registry: %v", err)
	}
}
