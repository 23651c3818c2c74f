package main

import (
	"net/http"
	"net/http/pprof"
)

// profiles serves Go's runtime profiles. They are off unless --pprof-addr
// names a listener, and never share one with the hooks: a profile shows
// memory, which holds tokens while requests are in flight.
func profiles() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
