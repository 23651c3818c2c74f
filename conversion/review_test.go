package conversion_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/hookops/hookops/conversion"
)

func review(t testing.TB, uid, desired string, objects ...[]byte) []byte {
	t.Helper()
	req := &conversion.ConversionRequest{UID: types.UID(uid), DesiredAPIVersion: desired}
	for _, o := range objects {
		req.Objects = append(req.Objects, o)
	}
	rv := conversion.ConversionReview{Request: req}
	rv.APIVersion, rv.Kind = conversion.ReviewAPIVersion, conversion.ReviewKind
	return mustJSON(t, rv)
}

// answer does with a /convert body what the server does: decode, review,
// encode.
func answer(body []byte) ([]byte, error) { return answerFrom(bytes.NewReader(body)) }

func answerFrom(r io.Reader) ([]byte, error) {
	rv, err := conversion.DecodeReview(r)
	if err != nil {
		return nil, err
	}
	resp, err := conversion.Review(context.Background(), rv)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := conversion.EncodeReview(&out, resp); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func decodeResponse(t testing.TB, body []byte) *conversion.ConversionResponse {
	t.Helper()
	var rv conversion.ConversionReview
	if err := json.Unmarshal(body, &rv); err != nil {
		t.Fatalf("decode response %s: %v", body, err)
	}
	if rv.APIVersion != conversion.ReviewAPIVersion || rv.Kind != conversion.ReviewKind || rv.Response == nil || rv.Request != nil {
		t.Fatalf("not a ConversionReview response: %s", body)
	}
	return rv.Response
}

func named(apiVersion, name string) []byte {
	spec := `{"organization":"acme","private":true,"tokenSecretName":"gh"}`
	if apiVersion == hub {
		spec = `{"owner":"acme","visibility":"internal","credentialsSecretRef":{"name":"gh","key":"token"}}`
	}
	return fmt.Appendf(nil, `{"apiVersion":%q,"kind":"GitHubRepo","metadata":{"name":%q},"spec":%s}`, apiVersion, name, spec)
}

func TestReviewConvertsInOrder(t *testing.T) {
	objects := [][]byte{named(spoke, "a"), named(hub, "b"), named(spoke, "c"), named(hub, "d")}
	for _, desired := range []string{hub, spoke} {
		t.Run(desired, func(t *testing.T) {
			body, err := answer(review(t, "7f0c", desired, objects...))
			if err != nil {
				t.Fatal(err)
			}
			resp := decodeResponse(t, body)
			if resp.UID != "7f0c" || resp.Result.Status != "Success" || len(resp.ConvertedObjects) != len(objects) {
				t.Fatalf("response %s", body)
			}
			for i, got := range resp.ConvertedObjects {
				want, err := conversion.Convert(objects[i], desired)
				if err != nil {
					t.Fatal(err)
				}
				assertSameJSON(t, fmt.Sprintf("object %d", i), decode(t, got), decode(t, want))
			}
		})
	}
}

func TestReviewNoObjects(t *testing.T) {
	body, err := answer(review(t, "u", hub))
	if err != nil {
		t.Fatal(err)
	}
	resp := decodeResponse(t, body)
	if resp.Result.Status != "Success" || resp.ConvertedObjects == nil || len(resp.ConvertedObjects) != 0 {
		t.Fatalf("response %s", body)
	}
}

func TestReviewFailures(t *testing.T) {
	ok := named(hub, "ok")
	tests := []struct {
		name, desired string
		objects       [][]byte
		wantMessage   string
	}{
		{"unknown desiredAPIVersion", "github.hookops.dev/v2", [][]byte{ok}, `unknown desiredAPIVersion "github.hookops.dev/v2"`},
		{"unknown desiredAPIVersion without objects", "v1", nil, `unknown desiredAPIVersion "v1"`},
		{"unknown apiVersion", spoke, [][]byte{ok, object("github.hookops.dev/v2", `{}`, "")}, "object 1: cannot convert apiVersion"},
		{"unknown kind", spoke, [][]byte{[]byte(`{"apiVersion":"github.hookops.dev/v1","kind":"Secret"}`)}, `object 0: cannot convert apiVersion "github.hookops.dev/v1" kind "Secret"`},
		{"invalid for its version", spoke, [][]byte{ok, ok, object(hub, `{"owner":["acme"]}`, "")}, "object 2: invalid github.hookops.dev/v1"},
		{"null object", hub, [][]byte{[]byte("null")}, "object 0: not a JSON object"},
		{"bad annotation", hub, [][]byte{object(spoke, `{}`, `{`)}, "object 0: annotation github.hookops.dev/v1-spec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := answer(review(t, "uid-f", tt.desired, tt.objects...))
			if err != nil {
				t.Fatal(err)
			}
			resp := decodeResponse(t, body)
			if resp.UID != "uid-f" || resp.Result.Status != "Failure" || len(resp.ConvertedObjects) != 0 {
				t.Fatalf("response %s", body)
			}
			if !strings.Contains(resp.Result.Message, tt.wantMessage) {
				t.Errorf("message %q, want it to contain %q", resp.Result.Message, tt.wantMessage)
			}
		})
	}
}

// A body that is not a ConversionReview request is a *RequestError naming
// the problem; the server answers it with 400 and {"error": "..."}.
func TestReviewBadRequest(t *testing.T) {
	tests := []struct {
		name      string
		body      io.Reader
		wantError string
	}{
		{"empty", strings.NewReader(``), "decode ConversionReview"},
		{"not JSON", strings.NewReader(`{"apiVersion":`), "decode ConversionReview"},
		{"array", strings.NewReader(`[]`), "decode ConversionReview"},
		{"null", strings.NewReader(`null`), `got apiVersion ""`},
		{"v1beta1", strings.NewReader(`{"apiVersion":"apiextensions.k8s.io/v1beta1","kind":"ConversionReview","request":{"uid":"u"}}`), `apiextensions.k8s.io/v1beta1`},
		{"wrong kind", strings.NewReader(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}`), `kind "AdmissionReview"`},
		{"no request", strings.NewReader(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview"}`), "no request"},
		{"no uid", strings.NewReader(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"desiredAPIVersion":"github.hookops.dev/v1"}}`), "no uid"},
		{"objects not a list", strings.NewReader(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"u","objects":{}}}`), "decode ConversionReview"},
		{"read error", failingReader{}, "connection reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := answerFrom(tt.body)
			assertRequestError(t, body, err, tt.wantError)
		})
	}
}

// A body over the server's limit stays known as one, for a 413.
func TestReviewBodyTooLarge(t *testing.T) {
	rec := httptest.NewRecorder()
	_, err := conversion.DecodeReview(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(strings.Repeat(" ", 100))), 10))
	var tooBig *http.MaxBytesError
	if !errors.As(err, &tooBig) {
		t.Fatalf("error %v, want an *http.MaxBytesError", err)
	}
}

func assertRequestError(t *testing.T, body []byte, err error, want string) {
	t.Helper()
	var reqErr *conversion.RequestError
	if !errors.As(err, &reqErr) || !strings.Contains(reqErr.Error(), want) {
		t.Fatalf("error %v (body %s), want a request error containing %q", err, body, want)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func BenchmarkReview100(b *testing.B) {
	objects := make([][]byte, 100)
	for i := range objects {
		version := hub
		if i%2 == 0 {
			version = spoke
		}
		objects[i] = named(version, fmt.Sprintf("repo-%d", i))
	}
	body := review(b, "bench", hub, objects...)
	var latencies []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := answer(body); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(start))
	}
	elapsed := b.Elapsed()
	slices.Sort(latencies)
	b.ReportMetric(float64(len(latencies)*len(objects))/elapsed.Seconds(), "objects/s")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs/review")
}
