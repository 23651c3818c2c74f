package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/hookops/hookops/hooks/metacontroller"
)

// hookRoute is one hook mounted at /hooks/<controller>/<hook>.
type hookRoute struct {
	controller, hook string
	handler          http.Handler
}

// routes mounts a controller's hooks; sync and finalize requests are read
// with decode (DecodeComposite or DecodeDecorator). A nil hook is not mounted.
func routes[Req, Resp any](name string, customize metacontroller.CustomizeHook, decode func(io.Reader) (Req, error), sync, finalize func(context.Context, Req) (Resp, error)) []hookRoute {
	var out []hookRoute
	for _, r := range []hookRoute{
		{name, "customize", serveHook(metacontroller.DecodeCustomize, customize)},
		{name, "sync", serveHook(decode, sync)},
		{name, "finalize", serveHook(decode, finalize)},
	} {
		if r.handler != nil {
			out = append(out, r)
		}
	}
	return out
}

// serveHook turns a pure hook function into an HTTP handler: decode and
// validate, call, encode. Only a request the hook cannot serve gets a 4xx;
// hooks report trouble with the outside world inside a 200 response.
func serveHook[Req, Resp any](decode func(io.Reader) (Req, error), fn func(context.Context, Req) (Resp, error)) http.Handler {
	if fn == nil {
		return nil
	}
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
		if err := metacontroller.Encode(w, resp); err != nil {
			slog.DebugContext(r.Context(), "write hook response", "err", err)
		}
	})
}

func writeHookError(w http.ResponseWriter, r *http.Request, err error) {
	var reqErr *metacontroller.RequestError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "request body is over the limit of "+strconv.FormatInt(tooBig.Limit, 10)+" bytes")
	case errors.As(err, &reqErr):
		writeError(w, http.StatusBadRequest, reqErr.Msg)
	case errors.Is(err, context.DeadlineExceeded):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "hook ran out of time; retry")
	default:
		slog.ErrorContext(r.Context(), "hook failed", "request_id", middleware.GetReqID(r.Context()), "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "hook failed (request id "+middleware.GetReqID(r.Context())+")")
	}
}
