package conversion_test

import (
	"bytes"
	"strings"
	"testing"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/api/github/v1alpha1"
	"github.com/hookops/hookops/conversion"
)

const (
	hub   = v1.APIVersion
	spoke = v1alpha1.APIVersion
)

func TestConvert(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		to   string
		want []byte
	}{
		{
			name: "v1alpha1 private true to v1 private",
			in:   object(spoke, `{"organization":"acme","repoName":"widgets","private":true,"description":"d","tokenSecretName":"gh"}`, ""),
			to:   hub,
			want: object(hub, `{"owner":"acme","name":"widgets","visibility":"private","description":"d","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
		},
		{
			name: "v1alpha1 private false to v1 public",
			in:   object(spoke, `{"organization":"acme","private":false,"tokenSecretName":"gh"}`, ""),
			to:   hub,
			want: object(hub, `{"owner":"acme","visibility":"public","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
		},
		{
			name: "v1alpha1 private unset leaves visibility unset",
			in:   object(spoke, `{"organization":"acme","tokenSecretName":"gh"}`, ""),
			to:   hub,
			want: object(hub, `{"owner":"acme","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
		},
		{
			name: "annotation restores internal while private is still true",
			in:   object(spoke, `{"organization":"acme","private":true,"tokenSecretName":"gh"}`, `{"visibility":"internal"}`),
			to:   hub,
			want: object(hub, `{"owner":"acme","visibility":"internal","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
		},
		{
			name: "private flipped to false wins over a stale internal",
			in:   object(spoke, `{"organization":"acme","private":false,"tokenSecretName":"gh"}`, `{"visibility":"internal"}`),
			to:   hub,
			want: object(hub, `{"owner":"acme","visibility":"public","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
		},
		{
			name: "private removed wins over a stale internal",
			in:   object(spoke, `{"organization":"acme","tokenSecretName":"gh"}`, `{"visibility":"internal"}`),
			to:   hub,
			want: object(hub, `{"owner":"acme","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
		},
		{
			name: "annotation restores every field v1alpha1 lacks",
			in: object(spoke, `{"organization":"acme","repoName":"widgets","tokenSecretName":"gh"}`,
				`{"adoptExisting":true,"archived":false,"credentialsSecretRef":{"key":"pat","namespace":"team-a"},"defaultBranch":"main","deletionPolicy":"Orphan","features":{"issues":true,"wiki":false},"futureField":{"x":1},"homepage":"https://acme.example/?a=1&b=2","init":{"autoInit":true,"licenseTemplate":"mit"},"topics":["go","k8s"]}`),
			to:   hub,
			want: object(hub, `{"owner":"acme","name":"widgets","homepage":"https://acme.example/?a=1&b=2","topics":["go","k8s"],"features":{"issues":true,"wiki":false},"archived":false,"defaultBranch":"main","init":{"autoInit":true,"licenseTemplate":"mit"},"deletionPolicy":"Orphan","adoptExisting":true,"credentialsSecretRef":{"name":"gh","key":"pat","namespace":"team-a"},"futureField":{"x":1}}`, ""),
		},
		{
			name: "v1alpha1 fields win over the same fields in the annotation",
			in: object(spoke, `{"organization":"acme","repoName":"widgets","private":true,"tokenSecretName":"gh"}`,
				`{"owner":"old","name":"old","description":"old","visibility":"public","credentialsSecretRef":{"name":"old"}}`),
			to:   hub,
			want: object(hub, `{"owner":"acme","name":"widgets","visibility":"private","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
		},
		{
			name: "annotation removes the credentialsSecretRef the v1 object did not have",
			in:   object(spoke, `{"organization":"acme"}`, `{"credentialsSecretRef":null}`),
			to:   hub,
			want: object(hub, `{"owner":"acme"}`, ""),
		},
		{
			name: "tokenSecretName set since wins over a removed credentialsSecretRef",
			in:   object(spoke, `{"organization":"acme","tokenSecretName":"gh"}`, `{"credentialsSecretRef":null}`),
			to:   hub,
			want: object(hub, `{"owner":"acme","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
		},
		{
			name: "v1 private to v1alpha1 without annotation",
			in:   object(hub, `{"owner":"acme","name":"widgets","visibility":"private","description":"d","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
			to:   spoke,
			want: object(spoke, `{"organization":"acme","repoName":"widgets","private":true,"description":"d","tokenSecretName":"gh"}`, ""),
		},
		{
			name: "v1 public to private false",
			in:   object(hub, `{"owner":"acme","visibility":"public","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
			to:   spoke,
			want: object(spoke, `{"organization":"acme","private":false,"tokenSecretName":"gh"}`, ""),
		},
		{
			name: "v1 internal to private true, remembered in the annotation",
			in:   object(hub, `{"owner":"acme","visibility":"internal","credentialsSecretRef":{"name":"gh","key":"token"}}`, ""),
			to:   spoke,
			want: object(spoke, `{"organization":"acme","private":true,"tokenSecretName":"gh"}`, `{"visibility":"internal"}`),
		},
		{
			name: "v1 fields v1alpha1 lacks go to the annotation",
			in:   object(hub, `{"owner":"acme","name":"widgets","homepage":"https://acme.example/?a=1&b=2","topics":["go","k8s"],"features":{"issues":true,"wiki":false},"archived":false,"defaultBranch":"main","init":{"autoInit":true,"licenseTemplate":"mit"},"deletionPolicy":"Orphan","adoptExisting":true,"credentialsSecretRef":{"name":"gh","key":"pat","namespace":"team-a"},"futureField":{"x":1}}`, ""),
			to:   spoke,
			want: object(spoke, `{"organization":"acme","repoName":"widgets","tokenSecretName":"gh"}`,
				`{"adoptExisting":true,"archived":false,"credentialsSecretRef":{"key":"pat","namespace":"team-a"},"defaultBranch":"main","deletionPolicy":"Orphan","features":{"issues":true,"wiki":false},"futureField":{"x":1},"homepage":"https://acme.example/?a=1&b=2","init":{"autoInit":true,"licenseTemplate":"mit"},"topics":["go","k8s"]}`),
		},
		{
			name: "v1 key left to its default is remembered as absent",
			in:   object(hub, `{"owner":"acme","credentialsSecretRef":{"name":"gh"}}`, ""),
			to:   spoke,
			want: object(spoke, `{"organization":"acme","tokenSecretName":"gh"}`, `{"credentialsSecretRef":{"key":null}}`),
		},
		{
			name: "stale annotation on a v1 object is dropped",
			in:   object(hub, `{"owner":"acme","credentialsSecretRef":{"name":"gh","key":"token"}}`, `{"visibility":"internal"}`),
			to:   spoke,
			want: object(spoke, `{"organization":"acme","tokenSecretName":"gh"}`, ""),
		},
		{
			name: "no spec stays no spec",
			in:   []byte(`{"apiVersion":"github.hookops.dev/v1","kind":"GitHubRepo","metadata":{"name":"widgets"}}`),
			to:   spoke,
			want: []byte(`{"apiVersion":"github.hookops.dev/v1alpha1","kind":"GitHubRepo","metadata":{"name":"widgets"}}`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversion.Convert(tt.in, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			assertSameJSON(t, "converted", decode(t, got), decode(t, tt.want))
		})
	}
}

func TestConvertKeepsEverythingElse(t *testing.T) {
	in := []byte(`{
		"apiVersion": "github.hookops.dev/v1", "kind": "GitHubRepo", "extra": [1, {"a": null}],
		"metadata": {"name": "widgets", "namespace": "team-a", "uid": "u-1", "resourceVersion": "42", "generation": 7,
			"creationTimestamp": "2024-05-01T10:00:00Z", "labels": {"app": "widgets"}, "finalizers": ["metacontroller.io/x"],
			"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"spec\":{}}", "team": "a"},
			"managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {}}}], "futureMeta": true},
		"spec": {"owner": "acme", "visibility": "internal", "credentialsSecretRef": {"name": "gh", "key": "token"}},
		"status": {"observedGeneration": 7, "repoID": 9223372036854775807, "fullName": "acme/widgets", "rateLimit": {"limit": 5000, "remaining": 4999, "reset": "2024-05-01T11:00:00Z"},
			"conditions": [{"type": "Ready", "status": "True", "reason": "Available", "message": "", "lastTransitionTime": "2024-05-01T10:00:00Z", "observedGeneration": 7}], "futureStatus": 1.50}
	}`)
	alpha, err := conversion.Convert(in, spoke)
	if err != nil {
		t.Fatal(err)
	}
	want, got := decode(t, in), decode(t, alpha)
	if a := got["metadata"].(map[string]any)["annotations"].(map[string]any); a[conversion.SpecAnnotation] != `{"visibility":"internal"}` {
		t.Errorf("annotation = %v", a[conversion.SpecAnnotation])
	}
	for _, m := range []map[string]any{want, got} {
		delete(m, "apiVersion")
		delete(m, "spec")
		delete(m["metadata"].(map[string]any)["annotations"].(map[string]any), conversion.SpecAnnotation)
	}
	assertSameJSON(t, "all but apiVersion, spec and the annotation", got, want)

	back, err := conversion.Convert(alpha, hub)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, "round trip", decode(t, back), decode(t, in))
}

func TestConvertSameVersionIsUntouched(t *testing.T) {
	for _, in := range [][]byte{
		[]byte(" {\"apiVersion\": \"github.hookops.dev/v1\", \"kind\": \"GitHubRepo\", \"spec\": {\"owner\": 5}}"),
		object(spoke, `{"organization":"acme"}`, `not JSON`),
	} {
		version := decode(t, in)["apiVersion"].(string)
		got, err := conversion.Convert(in, version)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, in) {
			t.Errorf("Convert to %s changed\n%s\nto\n%s", version, in, got)
		}
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name, in, to, wantErr string
	}{
		{"unknown desiredAPIVersion", string(object(hub, `{}`, "")), "github.hookops.dev/v2", `unknown desiredAPIVersion "github.hookops.dev/v2"`},
		{"unknown apiVersion", string(object("github.hookops.dev/v2", `{}`, "")), spoke, `apiVersion "github.hookops.dev/v2"`},
		{"other group", string(object("apps/v1", `{}`, "")), spoke, `apiVersion "apps/v1"`},
		{"no apiVersion", `{"kind":"GitHubRepo"}`, spoke, `apiVersion ""`},
		{"unknown kind", `{"apiVersion":"github.hookops.dev/v1","kind":"Deployment"}`, spoke, `kind "Deployment"`},
		{"not JSON", `{"apiVersion":`, spoke, "not a JSON object"},
		{"array", `[]`, spoke, "not a JSON object"},
		{"null", `null`, spoke, "not a JSON object"},
		{"data after the object", `{} {}`, spoke, "data after the object"},
		{"v1 owner not a string", string(object(hub, `{"owner":5}`, "")), spoke, "invalid github.hookops.dev/v1"},
		{"v1 topics not a list", string(object(hub, `{"owner":"acme","topics":"go"}`, "")), spoke, "invalid github.hookops.dev/v1"},
		{"v1 spec not an object", string(object(hub, `"acme"`, "")), spoke, "invalid github.hookops.dev/v1"},
		{"v1alpha1 private not a bool", string(object(spoke, `{"private":"yes"}`, "")), hub, "invalid github.hookops.dev/v1alpha1"},
		{"annotation value not a string", `{"apiVersion":"github.hookops.dev/v1alpha1","kind":"GitHubRepo","metadata":{"annotations":{"a":1}},"spec":{}}`, hub, "invalid github.hookops.dev/v1alpha1"},
		{"bad creationTimestamp", `{"apiVersion":"github.hookops.dev/v1alpha1","kind":"GitHubRepo","metadata":{"creationTimestamp":"yesterday"},"spec":{}}`, hub, "invalid github.hookops.dev/v1alpha1"},
		{"annotation not JSON", string(object(spoke, `{}`, `{"visibility":`)), hub, "annotation github.hookops.dev/v1-spec"},
		{"annotation not an object", string(object(spoke, `{}`, `["internal"]`)), hub, "annotation github.hookops.dev/v1-spec"},
		{"annotation gives a wrongly typed v1 spec", string(object(spoke, `{}`, `{"topics":5}`)), hub, "converted to an invalid github.hookops.dev/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := conversion.Convert([]byte(tt.in), tt.to)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
