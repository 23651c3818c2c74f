package ghwebhook

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestAnnotationPatch(t *testing.T) {
	tests := []struct {
		name string
		uid  types.UID
		want string
	}{
		{"with the uid as a precondition", "5f0c6a52-1d3b-4a8e-9d64-0242ac120002", `{"metadata":{"annotations":{"github.hookops.dev/github-event":"72d3162e-cc78-11e3-81ab-4c9367dc0958"},"uid":"5f0c6a52-1d3b-4a8e-9d64-0242ac120002"}}`},
		{"without a uid", "", `{"metadata":{"annotations":{"github.hookops.dev/github-event":"72d3162e-cc78-11e3-81ab-4c9367dc0958"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := annotationPatch(tt.uid, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
			if err != nil || string(got) != tt.want {
				t.Errorf("annotationPatch = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// The annotator sends one merge patch of metadata alone, as the receiver's
// field manager, and the annotation lands on the object.
func TestAnnotatorPatchesMetadataOnly(t *testing.T) {
	obj := ghr("team-a", "widgets", "acme", "", "api.github.com", 1001, "R_x")
	scheme := runtime.NewScheme()
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme,
		map[schema.GroupVersionResource]string{githubRepos: "GitHubRepoList"}, obj)
	a := annotator{client: client}
	if err := a.trigger(context.Background(), target{Namespace: "team-a", Name: "widgets", UID: "team-a-widgets"}, "guid-1"); err != nil {
		t.Fatal(err)
	}
	var patches []k8stesting.PatchAction
	for _, act := range client.Actions() {
		if p, ok := act.(k8stesting.PatchAction); ok {
			patches = append(patches, p)
		}
	}
	if len(patches) != 1 {
		t.Fatalf("actions %v, want one patch", client.Actions())
	}
	p := patches[0]
	if p.GetPatchType() != types.MergePatchType || p.GetSubresource() != "" || p.GetResource() != githubRepos || p.GetNamespace() != "team-a" || p.GetName() != "widgets" {
		t.Errorf("patch %s %s %s/%s subresource %q, want a merge patch of githubrepos team-a/widgets", p.GetPatchType(), p.GetResource(), p.GetNamespace(), p.GetName(), p.GetSubresource())
	}
	got, err := client.Resource(githubRepos).Namespace("team-a").Get(context.Background(), "widgets", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a := got.GetAnnotations()["github.hookops.dev/github-event"]; a != "guid-1" {
		t.Errorf("annotation = %q, want guid-1", a)
	}
	if spec, _, _ := unstructured.NestedMap(got.Object, "spec"); spec["owner"] != "acme" {
		t.Errorf("spec changed: %v", spec)
	}
}
