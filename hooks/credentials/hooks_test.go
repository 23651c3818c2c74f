package credentials

import (
	"testing"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/metacontroller"
)

func secret(ns, name string) metacontroller.Object {
	return metacontroller.Object{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": name, "namespace": ns}}
}

func repo(ns, name, secretName string) metacontroller.Object {
	return metacontroller.Object{"apiVersion": v1.APIVersion, "kind": v1.Kind,
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"owner": "acme", "credentialsSecretRef": map[string]any{"name": secretName}}}
}

func TestFinalizeKeepsASecretInUse(t *testing.T) {
	for _, c := range []struct {
		name      string
		repos     []metacontroller.Object
		finalized bool
	}{
		{"no GitHubRepo", nil, true},
		{"a GitHubRepo uses it", []metacontroller.Object{repo("team-a", "widgets", "gh-token")}, false},
		{"GitHubRepos use other Secrets", []metacontroller.Object{repo("team-a", "widgets", "other")}, true},
		{"a GitHubRepo of another namespace names it", []metacontroller.Object{repo("team-b", "widgets", "gh-token")}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			related := metacontroller.ObjectMap{metacontroller.GroupKind(v1.Kind, v1.APIVersion): {}}
			for _, r := range c.repos {
				related[metacontroller.GroupKind(v1.Kind, v1.APIVersion)][r.Namespace()+"/"+r.Name()] = r
			}
			resp, err := New().Finalize(t.Context(), &metacontroller.DecoratorRequest{Object: secret("team-a", "gh-token"), Related: related, Finalizing: true})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Finalized != c.finalized {
				t.Errorf("finalized = %v, want %v", resp.Finalized, c.finalized)
			}
			if !resp.Finalized && resp.ResyncAfterSeconds == 0 {
				t.Error("a Secret kept in use is never looked at again")
			}
			if resp.Attachments == nil || len(resp.Attachments) != 0 {
				t.Errorf("attachments %v, want an empty list", resp.Attachments)
			}
		})
	}
}

func TestCustomizeAsksForTheNamespacesGitHubRepos(t *testing.T) {
	resp, err := New().Customize(t.Context(), &metacontroller.CustomizeRequest{Parent: secret("team-a", "gh-token")})
	if err != nil {
		t.Fatal(err)
	}
	want := metacontroller.RelatedResourceRule{APIVersion: v1.APIVersion, Resource: v1.Resource, Namespace: "team-a"}
	if len(resp.RelatedResources) != 1 || resp.RelatedResources[0].APIVersion != want.APIVersion ||
		resp.RelatedResources[0].Resource != want.Resource || resp.RelatedResources[0].Namespace != want.Namespace {
		t.Errorf("related rules %+v, want [%+v]", resp.RelatedResources, want)
	}
}

func TestRefusesWhatIsNotASecret(t *testing.T) {
	ns := metacontroller.Object{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "team-a"}}
	if _, err := New().Sync(t.Context(), &metacontroller.DecoratorRequest{Object: ns}); err == nil {
		t.Error("a Namespace was taken for a Secret")
	}
}
