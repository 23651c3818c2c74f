package conversion_test

import (
	"encoding/json"
	"errors"
	"fmt"
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
			status, body := conversion.Review(review(t, "7f0c", desired, objects...))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
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
	status, body := conversion.Review(review(t, "u", hub))
	resp := decodeResponse(t, body)
	if status != http.StatusOK || resp.Result.Status != "Success" || resp.ConvertedObjects == nil || len(resp.ConvertedObjects) != 0 {
		t.Fatalf("status %d: %s", status, body)
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
			status, body := conversion.Review(review(t, "uid-f", tt.desired, tt.objects...))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
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

func TestReviewBadRequest(t *testing.T) {
	tests := []struct{ name, body, wantError string }{
		{"empty", ``, "decode ConversionReview"},
		{"not JSON", `{"apiVersion":`, "decode ConversionReview"},
		{"array", `[]`, "decode ConversionReview"},
		{"null", `null`, `got apiVersion ""`},
		{"v1beta1", `{"apiVersion":"apiextensions.k8s.io/v1beta1","kind":"ConversionReview","request":{"uid":"u"}}`, `apiextensions.k8s.io/v1beta1`},
		{"wrong kind", `{"apiVersion":"apiextensions.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}`, `kind "AdmissionReview"`},
		{"no request", `{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview"}`, "no request"},
		{"no uid", `{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"desiredAPIVersion":"github.hookops.dev/v1"}}`, "no uid"},
		{"objects not a list", `{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"u","objects":{}}}`, "decode ConversionReview"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := conversion.Review([]byte(tt.body))
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", status, body)
			}
			assertErrorBody(t, body, tt.wantError)
		})
	}
}

func assertErrorBody(t *testing.T, body []byte, want string) {
	t.Helper()
	var e struct{ Error string }
	if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, want) {
		t.Fatalf("body %s, want {\"error\"} containing %q", body, want)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestHandler(t *testing.T) {
	good := string(review(t, "h-1", spoke, named(hub, "a")))
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantError  string
	}{
		{"POST", httptest.NewRequest(http.MethodPost, "/convert", strings.NewReader(good)), http.StatusOK, ""},
		{"GET", httptest.NewRequest(http.MethodGet, "/convert", nil), http.StatusMethodNotAllowed, "method GET not allowed"},
		{"bad body", httptest.NewRequest(http.MethodPost, "/convert", strings.NewReader("{")), http.StatusBadRequest, "decode ConversionReview"},
		{"read error", httptest.NewRequest(http.MethodPost, "/convert", failingReader{}), http.StatusBadRequest, "connection reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			conversion.Handler{}.ServeHTTP(rec, tt.req)
			if rec.Code != tt.wantStatus || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, content type %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if tt.wantError != "" {
				assertErrorBody(t, rec.Body.Bytes(), tt.wantError)
				return
			}
			if resp := decodeResponse(t, rec.Body.Bytes()); resp.UID != "h-1" || resp.Result.Status != "Success" {
				t.Fatalf("response %s", rec.Body)
			}
		})
	}
}

func TestHandlerAnswers405WithAllow(t *testing.T) {
	rec := httptest.NewRecorder()
	conversion.Handler{}.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/convert", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != http.MethodPost {
		t.Fatalf("status %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestHandlerBodyTooLarge(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/convert", strings.NewReader(strings.Repeat(" ", 100)))
	req.Body = http.MaxBytesReader(rec, req.Body, 10)
	conversion.Handler{}.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

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
		if status, resp := conversion.Review(body); status != http.StatusOK {
			b.Fatalf("status %d: %s", status, resp)
		}
		latencies = append(latencies, time.Since(start))
	}
	elapsed := b.Elapsed()
	slices.Sort(latencies)
	b.ReportMetric(float64(len(latencies)*len(objects))/elapsed.Seconds(), "objects/s")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs/review")
}
