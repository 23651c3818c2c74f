package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	specsv1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Pushed is one index written to a registry.
type Pushed struct {
	Tag    name.Tag
	Digest v1.Hash
}

// Push writes every index of the layout in dir that has an
// org.opencontainers.image.ref.name to <registry>/<ref.name>:<tag>.
// Credentials come from authn.DefaultKeychain (the Docker config file and
// its credential helpers); opts come after and may override them.
func Push(ctx context.Context, dir, registry, tag string, opts ...remote.Option) ([]Pushed, error) {
	registry = strings.TrimSuffix(registry, "/")
	if registry == "" {
		return nil, errors.New("no registry given")
	}
	top, im, err := readLayout(dir)
	if err != nil {
		return nil, err
	}
	opts = append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	var pushed []Pushed
	for _, desc := range im.Manifests {
		n := desc.Annotations[specsv1.AnnotationRefName]
		if n == "" {
			continue
		}
		ref, err := name.NewTag(registry + "/" + n + ":" + tag)
		if err != nil {
			return pushed, err
		}
		idx, err := top.ImageIndex(desc.Digest)
		if err != nil {
			return pushed, fmt.Errorf("%s: %w", n, err)
		}
		if err := remote.WriteIndex(ref, idx, opts...); err != nil {
			return pushed, fmt.Errorf("push %s: %w", ref, err)
		}
		pushed = append(pushed, Pushed{Tag: ref, Digest: desc.Digest})
	}
	if len(pushed) == 0 {
		return nil, fmt.Errorf("%s holds no image with an %s annotation", dir, specsv1.AnnotationRefName)
	}
	return pushed, nil
}
