package conversion_test

import (
	"encoding/json"
	"errors"
	"testing"

	sigsjson "sigs.k8s.io/json"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/api/github/v1alpha1"
	"github.com/hookops/hookops/conversion"
)

var v1Seeds = []string{
	`{"spec":{"owner":"acme","name":"widgets","visibility":"internal","description":"d","homepage":"https://a.example/?x=1&y=2","topics":["go"],"features":{"issues":true,"wiki":false},"archived":false,"defaultBranch":"main","init":{"autoInit":true,"gitignoreTemplate":"Go"},"deletionPolicy":"Orphan","adoptExisting":true,"credentialsSecretRef":{"name":"gh","key":"pat","namespace":"team-a"}}}`,
	`{"metadata":{"name":"w","annotations":{"a":"b"},"labels":{"l":"v"}},"spec":{"owner":"acme","visibility":"public","credentialsSecretRef":{"name":"gh","key":"token"}},"status":{"repoID":9223372036854775807}}`,
	`{"spec":{"owner":"acme","allowSquashMerge":true,"allowMergeCommit":false,"squashMergeCommitTitle":"PR_TITLE","squashMergeCommitMessage":"BLANK","template":{"owner":"acme","name":"tpl","includeAllBranches":false},"customProperties":{"team":"platform","langs":["go","rego"],"empty":[]},"securityAndAnalysis":{"secretScanning":"enabled"},"vulnerabilityAlerts":true,"credentialsSecretRef":{"name":"gh"}}}`,
	`{"metadata":null,"spec":{"owner":null,"visibility":null,"credentialsSecretRef":{"name":"gh"},"features":{"wiki":null},"x":[null,{"y":null}]}}`,
	`{"metadata":{"annotations":{}},"spec":{"credentialsSecretRef":null,"visibility":""}}`,
	`{"spec":{}}`,
	`{}`,
}

// v1alpha1Seeds are objects and the SpecAnnotation to put on them; the
// annotation is a separate input so that mutations of it stay JSON-shaped.
var v1alpha1Seeds = []struct{ obj, annotation string }{
	{`{"metadata":{"name":"w"},"spec":{"organization":"acme","repoName":"widgets","private":true,"description":"d","tokenSecretName":"gh"}}`, `{"visibility":"internal","topics":["go"]}`},
	{`{"spec":{"organization":"acme","private":false,"tokenSecretName":"gh"}}`, `{"visibility":"internal","owner":"old","credentialsSecretRef":{"name":"old","key":null}}`},
	{`{"metadata":{"annotations":{"a":"b"}},"spec":{"organization":"acme"}}`, `{"credentialsSecretRef":null}`},
	{`{"spec":{}}`, `{"topics":5}`},
	{`{"spec":{"organization":"acme","private":null,"description":null,"legacy":1},"status":{"fullName":"acme/widgets"}}`, ``},
	{`{"metadata":null}`, `{"features":{"wiki":null},"x":{"y":[null]}}`},
}

// asVersion makes data, if it is a JSON object, a GitHubRepo of apiVersion.
func asVersion(t *testing.T, data []byte, apiVersion string) ([]byte, bool) {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil || m == nil {
		return nil, false
	}
	obj := decode(t, data)
	obj["apiVersion"], obj["kind"] = apiVersion, v1.Kind
	return mustJSON(t, obj), true
}

// convertValid converts in and fails the test if a valid object of its
// version did not convert.
func convertValid[T any](t *testing.T, in []byte, to string, mayFail bool) ([]byte, bool) {
	t.Helper()
	out, err := conversion.Convert(in, to)
	if err == nil {
		return out, true
	}
	var typed T
	if sigsjson.UnmarshalCaseSensitivePreserveInts(in, &typed) == nil && !mayFail {
		t.Fatalf("valid object did not convert to %s: %v\n%s", to, err, in)
	}
	return nil, false
}

func hasSpecAnnotation(t *testing.T, obj []byte) bool {
	meta, _ := decode(t, obj)["metadata"].(map[string]any)
	a, _ := meta["annotations"].(map[string]any)
	_, ok := a[conversion.SpecAnnotation]
	return ok
}

func FuzzRoundTripV1(f *testing.F) {
	for _, s := range v1Seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, ok := asVersion(t, data, hub)
		if !ok || hasSpecAnnotation(t, in) {
			return
		}
		alpha, ok := convertValid[v1.GitHubRepo](t, in, spoke, false)
		if !ok {
			return
		}
		back, _ := convertValid[v1alpha1.GitHubRepo](t, alpha, hub, false)
		assertSameJSON(t, "v1 -> v1alpha1 -> v1", normalise(t, back), normalise(t, in))
	})
}

func FuzzRoundTripV1alpha1(f *testing.F) {
	for _, s := range v1alpha1Seeds {
		f.Add([]byte(s.obj), s.annotation)
	}
	f.Fuzz(func(t *testing.T, data []byte, annotation string) {
		in, ok := asVersion(t, data, spoke)
		if !ok {
			return
		}
		if annotation != "" {
			in = withSpecAnnotation(t, in, annotation)
		}
		// A hand-edited annotation may rightly fail the conversion.
		hubObj, ok := convertValid[v1alpha1.GitHubRepo](t, in, hub, hasSpecAnnotation(t, in))
		if !ok {
			return
		}
		back, _ := convertValid[v1.GitHubRepo](t, hubObj, spoke, false)
		assertSameJSON(t, "v1alpha1 -> v1 -> v1alpha1", normaliseAlpha(t, back), normaliseAlpha(t, in))
	})
}

func withSpecAnnotation(t *testing.T, obj []byte, annotation string) []byte {
	m := decode(t, obj)
	meta, ok := m["metadata"].(map[string]any)
	if !ok {
		meta = map[string]any{}
		m["metadata"] = meta
	}
	a, ok := meta["annotations"].(map[string]any)
	if !ok {
		a = map[string]any{}
		meta["annotations"] = a
	}
	a[conversion.SpecAnnotation] = annotation
	return mustJSON(t, m)
}

func FuzzReview(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"u","desiredAPIVersion":"github.hookops.dev/v1","objects":[` + v1Seeds[0] + `]}}`))
	f.Add(review(f, "u", spoke, named(hub, "a"), named(spoke, "b")))
	f.Add(review(f, "u", "v2", named(hub, "a")))
	f.Add([]byte(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"u","desiredAPIVersion":"github.hookops.dev/v1alpha1","objects":[null,1,{"apiVersion":"github.hookops.dev/v1","kind":"GitHubRepo","spec":[]}]}}`))
	f.Add([]byte(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview"}`))
	f.Add([]byte(`nope`))
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := answer(body)
		var reqErr *conversion.RequestError
		switch {
		case err == nil:
			var req conversion.ConversionReview
			if err := json.Unmarshal(body, &req); err != nil || req.Request == nil {
				t.Fatalf("answered a body that is not a review: %s", body)
			}
			got := decodeResponse(t, resp)
			if got.UID != req.Request.UID {
				t.Fatalf("uid %q, want %q", got.UID, req.Request.UID)
			}
			if got.Result.Status == "Success" && len(got.ConvertedObjects) != len(req.Request.Objects) {
				t.Fatalf("%d objects for %d", len(got.ConvertedObjects), len(req.Request.Objects))
			}
		case errors.As(err, &reqErr):
			if reqErr.Error() == "" {
				t.Fatalf("request error without a message for %s", body)
			}
		default:
			t.Fatalf("error %v that is not a request error for %s", err, body)
		}
	})
}
