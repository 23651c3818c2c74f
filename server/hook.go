package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/hookops/hookops/conversion"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// serveHook serves a Metacontroller hook: its request read with decode
// (DecodeCustomize, DecodeComposite or DecodeDecorator), its response
// written as Metacontroller expects.
func serveHook[Req, Resp any](decode func(io.Reader) (Req, error), fn func(context.Context, Req) (Resp, error)) http.Handler {
	return serve(decode, fn, func(w io.Writer, resp Resp) error { return metacontroller.Encode(w, resp) })
}

// serve turns a pure function into an HTTP handler: decode and validate,
// call, encode. Only a request the function cannot serve gets a 4xx; hooks
// report trouble with the outside world inside a 200 response.
func serve[Req, Resp any](decode func(io.Reader) (Req, error), fn func(context.Context, Req) (Resp, error), encode func(io.Writer, Resp) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode(r.Body)
		if err != nil {
			writeHookError(w, r, err)
			return
		}
		annotateSubject(r.Context(), req)
		resp, err := fn(r.Context(), req)
		if err != nil {
			writeHookError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := encode(w, resp); err != nil {
			slog.DebugContext(r.Context(), "write hook response", "err", err)
		}
	})
}

func writeHookError(w http.ResponseWriter, r *http.Request, err error) {
	var reqErr *metacontroller.RequestError
	var reviewErr *conversion.RequestError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "request body is over the limit of "+strconv.FormatInt(tooBig.Limit, 10)+" bytes")
	case errors.As(err, &reqErr):
		writeError(w, http.StatusBadRequest, reqErr.Msg)
	case errors.As(err, &reviewErr):
		writeError(w, http.StatusBadRequest, reviewErr.Error())
	case errors.Is(err, context.DeadlineExceeded):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "hook ran out of time; retry")
	default:
		slog.ErrorContext(r.Context(), "hook failed", "request_id", middleware.GetReqID(r.Context()), "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "hook failed (request id "+middleware.GetReqID(r.Context())+")")
	}
}
