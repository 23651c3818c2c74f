package main

import (
	"context"
	"net/http"
)

// labels name what a request is served for in its metrics and spans. They
// come from the route table, never from the raw path, so their number stays
// bounded.
type labels struct{ controller, hook string }

type labelsKey struct{}

// withLabels gives every request of rt its labels; the middleware after it
// reads them with labelsOf.
func withLabels(rt route) func(http.Handler) http.Handler {
	l := labels{controller: rt.controller, hook: rt.hook}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), labelsKey{}, l)))
		})
	}
}

func labelsOf(ctx context.Context) labels {
	l, _ := ctx.Value(labelsKey{}).(labels)
	return l
}
