package conversion_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/api/github/v1alpha1"
	"github.com/hookops/hookops/conversion"
)

// propertyRuns is how many random objects each property checks.
var propertyRuns = 10_000

func init() {
	if raceDetector {
		propertyRuns /= 5
	}
}

func TestRoundTripV1Property(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	for i := range propertyRuns {
		in := randomV1(t, r)
		alpha, err := conversion.Convert(in, spoke)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, in)
		}
		back, err := conversion.Convert(alpha, hub)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, alpha)
		}
		assertSameJSON(t, fmt.Sprintf("run %d: v1 -> v1alpha1 -> v1 via\n%s\n", i, alpha), normalise(t, back), normalise(t, in))
	}
}

func TestRoundTripV1alpha1Property(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(2, 2))
	for i := range propertyRuns {
		in := randomV1alpha1(t, r)
		hubObj, err := conversion.Convert(in, hub)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, in)
		}
		back, err := conversion.Convert(hubObj, spoke)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, hubObj)
		}
		assertSameJSON(t, fmt.Sprintf("run %d: v1alpha1 -> v1 -> v1alpha1 via\n%s\n", i, hubObj), normaliseAlpha(t, back), normaliseAlpha(t, in))
		// Once in v1, the object is a fixed point of the round trip.
		again, err := conversion.Convert(back, hub)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, back)
		}
		assertSameJSON(t, fmt.Sprintf("run %d: v1 again", i), normalise(t, again), normalise(t, hubObj))
	}
}

// TestReviewRoundTripProperty sends batches of mixed versions through Review
// to v1alpha1, to v1 and to v1alpha1 again.
func TestReviewRoundTripProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 3))
	const batch = 100
	for b := range propertyRuns / batch {
		objects := make([][]byte, batch)
		isHub := make([]bool, batch)
		for i := range objects {
			isHub[i] = r.IntN(2) == 0
			if isHub[i] {
				objects[i] = randomV1(t, r)
			} else {
				objects[i] = randomV1alpha1(t, r)
			}
		}
		alpha := reviewOK(t, fmt.Sprintf("b%d-1", b), spoke, objects)
		hubObjs := reviewOK(t, fmt.Sprintf("b%d-2", b), hub, alpha)
		alphaAgain := reviewOK(t, fmt.Sprintf("b%d-3", b), spoke, hubObjs)
		for i, in := range objects {
			what := fmt.Sprintf("batch %d object %d", b, i)
			if isHub[i] {
				assertSameJSON(t, what, normalise(t, hubObjs[i]), normalise(t, in))
				continue
			}
			assertSameJSON(t, what+" unchanged", decode(t, alpha[i]), decode(t, in))
			assertSameJSON(t, what, normaliseAlpha(t, alphaAgain[i]), normaliseAlpha(t, in))
		}
	}
}

func reviewOK(t *testing.T, uid, desired string, objects [][]byte) [][]byte {
	t.Helper()
	body, err := answer(review(t, uid, desired, objects...))
	if err != nil {
		t.Fatal(err)
	}
	resp := decodeResponse(t, body)
	if string(resp.UID) != uid || resp.Result.Status != "Success" || len(resp.ConvertedObjects) != len(objects) {
		t.Fatalf("uid %q, result %+v, %d of %d objects", resp.UID, resp.Result, len(resp.ConvertedObjects), len(objects))
	}
	out := make([][]byte, len(objects))
	for i, o := range resp.ConvertedObjects {
		out[i] = o
	}
	return out
}

func randomV1(t testing.TB, r *rand.Rand) []byte {
	t.Helper()
	obj := v1.GitHubRepo{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1.APIVersion, Kind: v1.Kind},
		ObjectMeta: randomMeta(r, false),
		Spec: v1.GitHubRepoSpec{
			Owner:                    randomString(r),
			Name:                     randomString(r),
			Visibility:               maybe(r, randomOf(r, v1.Public, v1.Private, v1.Internal, v1.Internal, "", "Internal")),
			Description:              maybe(r, randomString(r)),
			Homepage:                 maybe(r, "https://"+randomString(r)+"?a=1&b=<2>"),
			Topics:                   maybe(r, randomStrings(r)),
			Features:                 maybe(r, v1.Features{Issues: randomBool(r), Wiki: randomBool(r), Projects: randomBool(r), Discussions: randomBool(r)}),
			Archived:                 randomBool(r),
			DefaultBranch:            maybe(r, randomString(r)),
			Init:                     maybe(r, v1.Init{AutoInit: randomBool(r), GitignoreTemplate: maybe(r, "Go"), LicenseTemplate: maybe(r, randomString(r))}),
			Template:                 maybe(r, v1.Template{Owner: randomString(r), Name: randomString(r), IncludeAllBranches: randomBool(r)}),
			AllowMergeCommit:         randomBool(r),
			AllowSquashMerge:         randomBool(r),
			AllowRebaseMerge:         randomBool(r),
			AllowAutoMerge:           randomBool(r),
			AllowUpdateBranch:        randomBool(r),
			DeleteBranchOnMerge:      randomBool(r),
			SquashMergeCommitTitle:   maybe(r, randomOf(r, v1.SquashTitlePR, v1.SquashTitleCommitOrPR)),
			SquashMergeCommitMessage: maybe(r, randomOf(r, v1.SquashMessagePRBody, v1.SquashMessageCommits, v1.SquashMessageBlank)),
			MergeCommitTitle:         maybe(r, randomOf(r, v1.MergeTitlePR, v1.MergeTitleMergeMessage)),
			MergeCommitMessage:       maybe(r, randomOf(r, v1.MergeMessagePRBody, v1.MergeMessagePRTitle, v1.MergeMessageBlank)),
			WebCommitSignoffRequired: randomBool(r),
			AllowForking:             randomBool(r),
			IsTemplate:               randomBool(r),
			CustomProperties:         randomProperties(r),
			SecurityAndAnalysis: maybe(r, v1.SecurityAndAnalysis{
				AdvancedSecurity: randomFeature(r), SecretScanning: randomFeature(r),
				SecretScanningPushProtection: randomFeature(r), DependabotSecurityUpdates: randomFeature(r),
			}),
			VulnerabilityAlerts: randomBool(r),
			DeletionPolicy:      randomOf(r, "", v1.DeletionDelete, v1.DeletionArchive, v1.DeletionOrphan),
			AdoptExisting:       r.IntN(2) == 0,
			CredentialsSecretRef: v1.SecretKeyRef{
				Name:      randomString(r),
				Key:       randomOf(r, "", "token", "token", randomString(r)),
				Namespace: randomOf(r, "", "team-a", randomString(r)),
			},
		},
		Status: randomStatus(r),
	}
	m := decode(t, mustJSON(t, obj))
	spec := m["spec"].(map[string]any)
	// Fields the Go types do not know yet must survive too.
	if r.IntN(4) == 0 {
		spec["futureField"] = map[string]any{"n": json.Number("12345678901234567890"), "s": randomString(r)}
	}
	switch r.IntN(8) {
	case 0:
		delete(spec, "credentialsSecretRef")
	case 1:
		delete(spec, "owner")
	case 2:
		spec["visibility"] = nil
	}
	if r.IntN(4) == 0 {
		m["futureTopLevel"] = []any{json.Number("1.50"), nil}
	}
	return mustJSON(t, m)
}

func randomV1alpha1(t testing.TB, r *rand.Rand) []byte {
	t.Helper()
	obj := v1alpha1.GitHubRepo{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind},
		ObjectMeta: randomMeta(r, true),
		Spec: v1alpha1.GitHubRepoSpec{
			Organization:    randomString(r),
			RepoName:        randomString(r),
			Private:         randomBool(r),
			Description:     maybe(r, randomString(r)),
			TokenSecretName: randomString(r),
		},
		Status: randomStatus(r),
	}
	m := decode(t, mustJSON(t, obj))
	spec := m["spec"].(map[string]any)
	switch r.IntN(8) {
	case 0:
		delete(spec, "tokenSecretName")
	case 1:
		delete(spec, "organization")
	case 2:
		spec["legacyField"] = "pruned by the apiserver"
	}
	return mustJSON(t, m)
}

// randomMeta returns metadata with unrelated labels and annotations and, for
// v1alpha1, sometimes a spec annotation that may be stale: it holds fields
// the v1alpha1 fields own and visibilities that no longer match private.
func randomMeta(r *rand.Rand, withSpecAnnotation bool) metav1.ObjectMeta {
	meta := metav1.ObjectMeta{
		Name:              randomString(r),
		Namespace:         randomOf(r, "", "team-a"),
		UID:               types.UID(fmt.Sprint(r.Uint64())),
		ResourceVersion:   fmt.Sprint(r.IntN(1e6)),
		Generation:        r.Int64(),
		CreationTimestamp: metav1.NewTime(time.Unix(r.Int64N(4e9), 0).UTC()),
		Finalizers:        randomStrings(r),
	}
	if r.IntN(3) > 0 {
		meta.Labels = map[string]string{"app": randomString(r), randomString(r) + "x": randomString(r)}
	}
	if r.IntN(3) > 0 {
		meta.Annotations = map[string]string{
			"kubectl.kubernetes.io/last-applied-configuration": `{"spec":{"owner":"` + randomString(r) + `"}}`,
			"github.hookops.dev/other":                         randomString(r),
		}
	}
	if withSpecAnnotation && r.IntN(3) == 0 {
		if meta.Annotations == nil {
			meta.Annotations = map[string]string{}
		}
		meta.Annotations[conversion.SpecAnnotation] = randomSpecPatch(r)
	}
	return meta
}

func randomSpecPatch(r *rand.Rand) string {
	candidates := map[string]any{
		"visibility":           randomOf[any](r, "internal", "public", "private", nil, "Internal"),
		"homepage":             "https://" + randomString(r),
		"topics":               randomStrings(r),
		"features":             map[string]any{"wiki": r.IntN(2) == 0, "issues": nil},
		"archived":             r.IntN(2) == 0,
		"defaultBranch":        randomString(r),
		"init":                 map[string]any{"autoInit": true},
		"deletionPolicy":       "Orphan",
		"adoptExisting":        true,
		"credentialsSecretRef": randomOf[any](r, nil, map[string]any{"key": randomOf[any](r, nil, "pat"), "namespace": "team-a", "name": "stale"}),
		"owner":                "stale",
		"name":                 "stale",
		"description":          randomOf[any](r, nil, "stale"),
		"futureField":          []any{1, "x"},
	}
	patch := map[string]any{}
	for k, v := range candidates {
		if r.IntN(3) == 0 {
			patch[k] = v
		}
	}
	data, _ := json.Marshal(patch)
	return string(data)
}

func randomStatus(r *rand.Rand) v1.GitHubRepoStatus {
	if r.IntN(3) == 0 {
		return v1.GitHubRepoStatus{}
	}
	now := metav1.NewTime(time.Unix(r.Int64N(4e9), 0).UTC())
	return v1.GitHubRepoStatus{
		ObservedGeneration: r.Int64(),
		Conditions: []metav1.Condition{{
			Type: v1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1.ReasonAvailable,
			Message: randomString(r), LastTransitionTime: now, ObservedGeneration: r.Int64(),
		}},
		RepoID:              r.Int64(),
		FullName:            randomString(r),
		Visibility:          randomOf(r, "", "internal"),
		ETag:                `W/"` + randomString(r) + `"`,
		LastSyncTime:        maybe(r, now),
		ConsecutiveFailures: r.Int32(),
		RateLimit:           maybe(r, v1.RateLimit{Limit: 5000, Remaining: r.IntN(5000), Reset: now}),
		ManagedSettings:     randomOf(r, nil, []string{"allowSquashMerge", "customProperties." + randomString(r)}),
	}
}

// randomProperties mixes string and list values, empty ones included.
func randomProperties(r *rand.Rand) map[string]v1.PropertyValue {
	if r.IntN(3) == 0 {
		return nil
	}
	out := map[string]v1.PropertyValue{}
	for range r.IntN(4) {
		if r.IntN(2) == 0 {
			out[randomString(r)] = v1.PropertyValue{String: maybe(r, randomString(r))}
		} else {
			out[randomString(r)] = v1.PropertyValue{List: randomStrings(r)}
		}
	}
	return out
}

func randomFeature(r *rand.Rand) *v1.FeatureStatus {
	return maybe(r, randomOf(r, v1.Enabled, v1.Disabled))
}

func randomString(r *rand.Rand) string {
	return randomOf(r, "", "acme", "widgets", "gh-token", "héllo wörld", `quote"and\backslash`, "<&>", "日本語", "a b\tc\n", fmt.Sprint(r.Uint32()))
}

func randomStrings(r *rand.Rand) []string {
	s := make([]string, r.IntN(4))
	for i := range s {
		s[i] = randomString(r)
	}
	return s
}

func randomBool(r *rand.Rand) *bool {
	return maybe(r, r.IntN(2) == 0)
}

// maybe returns nil or a pointer to v, each half of the time.
func maybe[T any](r *rand.Rand, v T) *T {
	if r.IntN(2) == 0 {
		return nil
	}
	return &v
}

func randomOf[T any](r *rand.Rand, choices ...T) T {
	return choices[r.IntN(len(choices))]
}
