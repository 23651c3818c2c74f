package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// writeError answers with a JSON body {"error": msg}; every non-2xx answer of
// the server has that shape.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(map[string]string{"error": msg}); err != nil {
		slog.Debug("write error response", "err", err)
	}
}
