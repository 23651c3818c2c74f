package ghwebhook

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// fieldManager names the receiver in the GitHubRepos' managedFields.
const fieldManager = "hookops-github-webhooks"

var githubRepos = schema.GroupVersionResource{Group: v1.Group, Version: v1.Version, Resource: v1.Resource}

// triggerer makes a GitHubRepo sync now.
type triggerer interface {
	trigger(ctx context.Context, t target, delivery string) error
}

// annotator is the triggerer of the command: it sets the annotation
// github.hookops.dev/github-event to the delivery's GUID. Metacontroller
// enqueues a parent whose labels or annotations change, even with
// ignoreStatusChanges, and every delivery has its own GUID, so each one
// brings a sync.
type annotator struct {
	client dynamic.Interface
}

func (a annotator) trigger(ctx context.Context, t target, delivery string) error {
	patch, err := annotationPatch(t.UID, delivery)
	if err != nil {
		return err
	}
	_, err = a.client.Resource(githubRepos).Namespace(t.Namespace).Patch(ctx, t.Name, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: fieldManager})
	if err != nil {
		return fmt.Errorf("annotate GitHubRepo %s/%s: %w", t.Namespace, t.Name, err)
	}
	return nil
}

// annotationPatch is a JSON merge patch of metadata alone: the annotation,
// and the uid as a precondition, so that a GitHubRepo deleted and created
// again under the same name since the index saw it is left alone (the API
// server answers 409). It is all the receiver may change (see the
// ValidatingAdmissionPolicy in manifests/github-webhooks/).
func annotationPatch(uid types.UID, delivery string) ([]byte, error) {
	meta := map[string]any{"annotations": map[string]string{v1.AnnotationGitHubEvent: delivery}}
	if uid != "" {
		meta["uid"] = uid
	}
	b, err := json.Marshal(map[string]any{"metadata": meta})
	if err != nil {
		return nil, fmt.Errorf("annotation patch: %w", err)
	}
	return b, nil
}
