package main

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	specsv1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Digests reads the image layout build wrote: each image's name (its
// org.opencontainers.image.ref.name) and the digest of its index, which a
// release pins.
func Digests(dir string) (map[string]string, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the image layout (run the build first): %w", err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := top.IndexManifest()
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
