package main

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookops/hookops/hooks/metacontroller"
)

// traceRequests makes every hook and conversion request a server span,
// continuing a caller's trace when it sends traceparent. Probes (health,
// readiness and metrics scrapes) are not traced.
func traceRequests(h http.Handler, probes map[string]bool) http.Handler {
	return otelhttp.NewHandler(h, "hookops-server",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
		otelhttp.WithFilter(func(r *http.Request) bool { return !probes[r.URL.Path] }))
}

// nameSpan names the server span by route, not by raw path, once chi has
// routed the request (so "POST /hooks/githubrepo/sync", and a bounded set of
// names for unknown paths too).
func nameSpan(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		span := trace.SpanFromContext(r.Context())
		if !span.IsRecording() {
			return
		}
		route := routePattern(r)
		if route == "" {
			route = "unmatched"
		}
		span.SetName(r.Method + " " + route)
		span.SetAttributes(attribute.String("http.route", route))
	})
}

// labelSpan labels the span with the controller and hook of the route.
func labelSpan(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
			l := labelsOf(r.Context())
			span.SetAttributes(attribute.String("hookops.controller", l.controller), attribute.String("hookops.hook", l.hook))
		}
		next.ServeHTTP(w, r)
	})
}

// annotateSubject labels the span with the object the request is about.
func annotateSubject(ctx context.Context, req any) {
	s, ok := req.(interface{ Subject() metacontroller.Object })
	if !ok {
		return
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	o := s.Subject()
	span.SetAttributes(
		attribute.String("hookops.parent.kind", o.Kind()),
		attribute.String("hookops.parent.namespace", o.Namespace()),
		attribute.String("hookops.parent.name", o.Name()),
		attribute.String("hookops.parent.uid", o.UID()),
		attribute.Int64("hookops.parent.generation", o.Generation()),
	)
}
