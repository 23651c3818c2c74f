package main

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	specsv1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Digests reads the image layout build wrote: each image's name (its
// org.opencontainers.image.ref.name) and the digest of its index, which a
// release pins.
func Digests(dir string) (map[string]string, error) {
	_, im, err := readLayout(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, desc := range im.Manifests {
		if n := desc.Annotations[specsv1.AnnotationRefName]; n != "" {
			out[n] = desc.Digest.String()
		}
	}
	return out, nil
}

// readLayout opens the image layout build wrote: its top index and that
// index's manifest, which lists one index per image.
func readLayout(dir string) (v1.ImageIndex, *v1.IndexManifest, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the image layout (run the build first): %w", err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		return nil, nil, err
	}
	im, err := top.IndexManifest()
	if err != nil {
		return nil, nil, err
	}
	return top, im, nil
}
