package conversion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

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

// RequestError is a body that is not a ConversionReview request the webhook
// can answer: the caller's fault, answered with 400. It wraps the cause, so
// that a body over the server's size limit is still known as one.
type RequestError struct{ err error }

func (e *RequestError) Error() string { return e.err.Error() }

func (e *RequestError) Unwrap() error { return e.err }

// DecodeReview reads a ConversionReview; a body it cannot read or parse is
// a *RequestError. The server bounds the body, so reading it whole is safe.
func DecodeReview(r io.Reader) (*ConversionReview, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, &RequestError{fmt.Errorf("read body: %w", err)}
	}
	var review ConversionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return nil, &RequestError{fmt.Errorf("decode ConversionReview: %w", err)}
	}
	return &review, nil
}

// Review answers a ConversionReview request, or returns a *RequestError if
// review is not one. Objects that cannot be converted get a Failure result:
// the apiserver then fails the API call with that message.
func Review(_ context.Context, review *ConversionReview) (*ConversionReview, error) {
	req, err := requestOf(review)
	if err != nil {
		return nil, &RequestError{err}
	}
	return &ConversionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: ReviewAPIVersion, Kind: ReviewKind},
		Response: convertAll(req),
	}, nil
}

// EncodeReview writes review as JSON, URLs in annotations unescaped.
func EncodeReview(w io.Writer, review *ConversionReview) error {
	out, err := encode(review)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

func requestOf(review *ConversionReview) (*ConversionRequest, error) {
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
