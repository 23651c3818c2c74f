package main

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// /convert answers through the hook adapter: a ConversionReview gets 200
// and its response; a body that is not one gets 400, and every refusal has
// a JSON {"error": "..."} body.
func TestConvertAnswers(t *testing.T) {
	h := testRouter(t, testConfig(t, "--max-body-bytes", "2048"), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	good := `{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"h-1","desiredAPIVersion":"github.hookops.dev/v1alpha1","objects":[
	  {"apiVersion":"github.hookops.dev/v1","kind":"GitHubRepo","metadata":{"name":"a"},"spec":{"owner":"acme","visibility":"private","credentialsSecretRef":{"name":"gh","key":"token"}}}]}}`
	tests := []struct {
		name, method string
		body         io.Reader
		wantStatus   int
		wantError    string
		wantAllow    string
	}{
		{"POST", http.MethodPost, strings.NewReader(good), http.StatusOK, "", ""},
		{"GET", http.MethodGet, nil, http.StatusMethodNotAllowed, "method GET is not allowed", http.MethodPost},
		{"PUT", http.MethodPut, nil, http.StatusMethodNotAllowed, "method PUT is not allowed", http.MethodPost},
		{"bad body", http.MethodPost, strings.NewReader("{"), http.StatusBadRequest, "decode ConversionReview", ""},
		{"not a request", http.MethodPost, strings.NewReader(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{}}`), http.StatusBadRequest, "no uid", ""},
		{"read error", http.MethodPost, failingReader{}, http.StatusBadRequest, "connection reset", ""},
		// No Content-Length: cut off while reading.
		{"body over the limit", http.MethodPost, io.NopCloser(strings.NewReader(strings.Repeat(" ", 4096))), http.StatusRequestEntityTooLarge, "over the limit", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/convert", tt.body)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, content type %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if allow := rec.Header().Get("Allow"); allow != tt.wantAllow {
				t.Errorf("Allow %q, want %q", allow, tt.wantAllow)
			}
			var body struct {
				Error    string
				Response *struct {
					UID    string
					Result struct{ Status string }
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
			}
			if tt.wantError != "" {
				if !strings.Contains(body.Error, tt.wantError) {
					t.Fatalf("body %s, want {\"error\"} containing %q", rec.Body, tt.wantError)
				}
				return
			}
			if body.Response == nil || body.Response.UID != "h-1" || body.Response.Result.Status != "Success" {
				t.Fatalf("response %s", rec.Body)
			}
		})
	}

	// Counted under the labels of the /convert route; a 405 is chi's,
	// before any route.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`hookops_hook_requests_total{code="200",controller="conversion",hook="convert"} 1`,
		`hookops_hook_requests_total{code="400",controller="conversion",hook="convert"} 3`,
		`hookops_hook_requests_total{code="413",controller="conversion",hook="convert"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(rec.Body.String(), `code="405",controller="conversion"`) {
		t.Error("a 405 is counted under /convert")
	}
}
