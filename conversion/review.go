package conversion

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ReviewAPIVersion and ReviewKind identify the only ConversionReview
// version the webhook speaks (conversionReviewVersions: ["v1"]).
const (
	ReviewAPIVersion = "apiextensions.k8s.io/v1"
	ReviewKind       = "ConversionReview"
)

// ConversionReview has the JSON shape of apiextensions.k8s.io/v1
// ConversionReview; defining the three structs spares a dependency on
// k8s.io/apiextensions-apiserver.
type ConversionReview struct {
	metav1.TypeMeta `json:",inline"`
	Request         *ConversionRequest  `json:"request,omitempty"`
	Response        *ConversionResponse `json:"response,omitempty"`
}

// ConversionRequest is the apiserver's question.
type ConversionRequest struct {
	UID               types.UID         `json:"uid"`
	DesiredAPIVersion string            `json:"desiredAPIVersion"`
	Objects           []json.RawMessage `json:"objects"`
}

// ConversionResponse is the answer: the objects in request order, or a
// Failure result and no objects.
type ConversionResponse struct {
	UID              types.UID         `json:"uid"`
	ConvertedObjects []json.RawMessage `json:"convertedObjects"`
	Result           metav1.Status     `json:"result"`
}

// Review answers one ConversionReview request body. A body that is not a
// ConversionReview request gets 400 and {"error": "..."}. Objects that cannot
// be converted get 200 and a Failure result: the apiserver then fails the
// API call with that message.
func Review(body []byte) (status int, response []byte) {
	req, err := decodeRequest(body)
	if err != nil {
		return http.StatusBadRequest, errorBody(err)
	}
	out, err := encode(ConversionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: ReviewAPIVersion, Kind: ReviewKind},
		Response: convertAll(req),
	})
	if err != nil {
		return http.StatusInternalServerError, errorBody(err)
	}
	return http.StatusOK, out
}

func decodeRequest(body []byte) (*ConversionRequest, error) {
	var review ConversionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return nil, fmt.Errorf("decode ConversionReview: %w", err)
	}
	if review.APIVersion != ReviewAPIVersion || review.Kind != ReviewKind {
		return nil, fmt.Errorf("got apiVersion %q kind %q, want %s %s", review.APIVersion, review.Kind, ReviewAPIVersion, ReviewKind)
	}
	if review.Request == nil {
		return nil, errors.New("ConversionReview has no request")
	}
	if review.Request.UID == "" {
		return nil, errors.New("ConversionReview request has no uid")
	}
	return review.Request, nil
}

func convertAll(req *ConversionRequest) *ConversionResponse {
	resp := &ConversionResponse{UID: req.UID}
	if _, err := lookupVersion(req.DesiredAPIVersion); err != nil {
		resp.Result = failure(err)
		return resp
	}
	converted := make([]json.RawMessage, len(req.Objects))
	for i, obj := range req.Objects {
		out, err := Convert(obj, req.DesiredAPIVersion)
		if err != nil {
			resp.Result = failure(fmt.Errorf("object %d: %w", i, err))
			return resp
		}
		converted[i] = out
	}
	resp.ConvertedObjects = converted
	resp.Result = metav1.Status{Status: metav1.StatusSuccess}
	return resp
}

func failure(err error) metav1.Status {
	return metav1.Status{Status: metav1.StatusFailure, Message: err.Error()}
}

func errorBody(err error) []byte {
	body, _ := json.Marshal(map[string]string{"error": err.Error()})
	return body
}

// Handler serves ConversionReviews over HTTP: POST only (405 otherwise),
// answers as Review does.
type Handler struct{}

func (Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody(fmt.Errorf("method %s not allowed, use POST", r.Method)))
		return
	}
	// The server's middleware bounds the body, so reading it whole is safe.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSON(w, readErrorStatus(err), errorBody(fmt.Errorf("read body: %w", err)))
		return
	}
	status, resp := Review(body)
	writeJSON(w, status, resp)
}

func readErrorStatus(err error) int {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
