package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/ko/pkg/build"
	specsv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/mod/modfile"
)

// Image is one image this command builds.
type Image struct {
	// Name is the repository name under the registry, and the
	// org.opencontainers.image.ref.name of the image's index in the layout.
	Name string
	// ImportPath is the main package built into the image; its last element
	// names the binary, which ko puts at /ko-app/<element>.
	ImportPath string
}

// Entrypoint is where ko puts the image's binary.
func (i Image) Entrypoint() string { return "/ko-app/" + path.Base(i.ImportPath) }

// Images are the images of the hookops binaries, as the manifests name them
// (ghcr.io/hookops/<Name>).
var Images = []Image{
	{Name: "hookops-server", ImportPath: "github.com/hookops/hookops/server"},
	{Name: "clientgo-mirror", ImportPath: "github.com/hookops/hookops/clientgo-mirror"},
}

// DefaultPlatforms are the platforms every image is built for.
var DefaultPlatforms = []string{"linux/amd64", "linux/arm64"}

const (
	// User is the images' user and group: non-root, the same ids as the
	// Deployments' securityContext.
	User = "65532:65532"

	// mainModule is the module whose packages the images hold.
	mainModule = "github.com/hookops/hookops"

	// baseName fills the org.opencontainers.image.base.name annotation that
	// ko writes. No registry holds such an image: the base is made in this
	// process from go-containerregistry's empty image (.invalid is a
	// reserved top-level domain, so nothing can resolve the name).
	baseName = "hookops.invalid/empty:nonroot"
)

// BuildOptions say what to build and how.
type BuildOptions struct {
	// Progress, if not nil, gets a line per image as its build starts.
	Progress io.Writer
	// Repo is a directory inside the checkout of the main module; its
	// packages are built as they are on disk.
	Repo string
	// Platforms are os/arch pairs; DefaultPlatforms when empty.
	Platforms []string
	// Created is the images' creation time, and the time of the files ko
	// adds besides the binary. A fixed value keeps digests reproducible.
	Created time.Time
}

// Built is the image index of one Image.
type Built struct {
	Image Image
	Index v1.ImageIndex
}

// Build builds every image in Images: for each platform a static Go binary
// (CGO_ENABLED=0, -trimpath, stripped) on an empty base that runs as User.
// Nothing is pulled: the only things read are the checkout, the Go module
// cache or proxy and the Go build cache.
func Build(ctx context.Context, opts BuildOptions) ([]Built, error) {
	// ko lets the environment override the target platform; refuse rather
	// than build something other than what the index says.
	for _, k := range []string{"GOOS", "GOARCH"} {
		if v := os.Getenv(k); v != "" {
			return nil, fmt.Errorf("%s=%s is set: unset it, the platforms are --platforms", k, v)
		}
	}
	platforms := opts.Platforms
	if len(platforms) == 0 {
		platforms = DefaultPlatforms
	}
	created := v1.Time{Time: opts.Created.UTC()}
	base, err := baseIndex(platforms, created)
	if err != nil {
		return nil, fmt.Errorf("base image: %w", err)
	}
	baseRef, err := name.ParseReference(baseName)
	if err != nil {
		return nil, err
	}
	built := make([]Built, 0, len(Images))
	for _, img := range Images {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "building %s (%s) for %s\n", img.Name, img.ImportPath, strings.Join(platforms, ", "))
		}
		b, err := build.NewGo(ctx, opts.Repo,
			build.WithBaseImages(func(context.Context, string) (name.Reference, build.Result, error) {
				return baseRef, base, nil
			}),
			build.WithPlatforms(platforms...),
			build.WithCreationTime(created),
			build.WithKoDataCreationTime(created),
			build.WithTrimpath(true),
			build.WithDisabledSBOM(),
			build.WithDefaultLdflags([]string{"-s", "-w"}),
			// After the process environment, so these win over it: a static
			// binary, and the baseline instruction set of each architecture.
			build.WithDefaultEnv([]string{"CGO_ENABLED=0", "GOAMD64=", "GOARM64="}),
			build.WithLabel(specsv1.AnnotationSource, "https://"+mainModule),
			build.WithLabel(specsv1.AnnotationTitle, img.Name),
		)
		if err != nil {
			return nil, err
		}
		res, err := b.Build(ctx, build.StrictScheme+img.ImportPath)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", img.Name, err)
		}
		idx, err := asIndex(res)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", img.Name, err)
		}
		built = append(built, Built{Image: img, Index: idx})
	}
	return built, nil
}

// baseIndex is an index of empty images, one per platform, whose config
// names the platform and the non-root user.
func baseIndex(platforms []string, created v1.Time) (v1.ImageIndex, error) {
	adds := make([]mutate.IndexAddendum, 0, len(platforms))
	for _, s := range platforms {
		p, err := v1.ParsePlatform(s)
		if err != nil {
			return nil, err
		}
		if p.OS == "" || p.Architecture == "" {
			return nil, fmt.Errorf("platform %q: want os/arch", s)
		}
		img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant, cf.OSVersion = p.OS, p.Architecture, p.Variant, p.OSVersion
		cf.Created = created
		cf.Config.User = User
		img, err = mutate.ConfigFile(img, cf)
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...), nil
}

// asIndex returns ko's result as an index: ko returns a bare image when one
// platform is asked for.
func asIndex(res build.Result) (v1.ImageIndex, error) {
	switch r := res.(type) {
	case v1.ImageIndex:
		return r, nil
	case v1.Image:
		cf, err := r.ConfigFile()
		if err != nil {
			return nil, err
		}
		p := cf.Platform()
		return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
			mutate.IndexAddendum{Add: r, Descriptor: v1.Descriptor{Platform: p}}), nil
	default:
		return nil, fmt.Errorf("ko built a %T, want an image or an index", res)
	}
}

// WriteLayout replaces dir with an OCI image layout holding the built
// indexes, each annotated with org.opencontainers.image.ref.name = its
// Image.Name. A dir that exists, is not empty and is not an image layout is
// left alone.
func WriteLayout(dir string, built []Built) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
			return fmt.Errorf("%s is neither empty nor an OCI image layout; not replacing it", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	for _, b := range built {
		if err := p.AppendIndex(b.Index, layout.WithAnnotations(map[string]string{
			specsv1.AnnotationRefName: b.Image.Name,
		})); err != nil {
			return fmt.Errorf("%s: %w", b.Image.Name, err)
		}
	}
	return nil
}

// PlatformSize is one platform's image in an index.
type PlatformSize struct {
	Platform string
	Digest   v1.Hash
	// Compressed is what a pull of this platform transfers: manifest,
	// config and compressed layers, in bytes.
	Compressed int64
}

// Sizes lists the platforms of idx with their compressed sizes.
func Sizes(idx v1.ImageIndex) ([]PlatformSize, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []PlatformSize
	for _, desc := range im.Manifests {
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return nil, err
		}
		m, err := img.Manifest()
		if err != nil {
			return nil, err
		}
		size := desc.Size + m.Config.Size
		for _, l := range m.Layers {
			size += l.Size
		}
		p := "?"
		if desc.Platform != nil {
			p = desc.Platform.String()
		}
		out = append(out, PlatformSize{Platform: p, Digest: desc.Digest, Compressed: size})
	}
	return out, nil
}

// findRepo returns the root of the main module's checkout: the first
// directory at or above dir whose go.mod declares mainModule.
func findRepo(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && modfile.ModulePath(b) == mainModule {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod of %s at or above %s", mainModule, dir)
		}
		d = parent
	}
}
