package main

import (
	"fmt"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on the default mux
	"os"
	"time"
)

// servePprof serves the benchmark's own profiles: the fake GitHub runs in
// this process, so its share of the hook's latency is profiled here.
func servePprof(addr string) {
	srv := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "scale: pprof:", err)
	}
}
