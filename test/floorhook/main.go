// Command floorhook is the least a GitHubRepo sync hook can do, served in
// a process of its own so that the hook server's benchmark compares two
// servers run the same way: decode the request, one conditional GET by id
// with the stored ETag, encode the status back.
package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/hookops/hookops/hooks/metacontroller"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	githubURL := flag.String("github-url", "", "GitHub API base for credentials Secrets without a baseURL, ending in /")
	flag.Parse()
	http.Handle("POST /sync", sync(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}, *githubURL))
	http.HandleFunc("GET /readyz", func(http.ResponseWriter, *http.Request) {})
	log.Fatal(http.ListenAndServe(*addr, nil))
}

func sync(client *http.Client, githubURL string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req metacontroller.CompositeRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		st, _ := req.Parent["status"].(map[string]any)
		secret, _ := req.Related.Get("Secret", "v1", req.Parent.Namespace(), "gh-token")
		data, _ := secret["data"].(map[string]any)
		token, _ := base64.StdEncoding.DecodeString(fmt.Sprint(data["token"]))
		baseURL, _ := base64.StdEncoding.DecodeString(fmt.Sprint(data["baseURL"]))
		if len(baseURL) == 0 {
			baseURL = []byte(githubURL)
		}
		id, _ := st["repoID"].(float64)
		get, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, fmt.Sprintf("%srepositories/%d", baseURL, int64(id)), nil)
		get.Header.Set("Authorization", "Bearer "+string(token))
		get.Header.Set("If-None-Match", fmt.Sprint(st["etag"]))
		resp, err := client.Do(get)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		var children []metacontroller.Object
		for _, c := range req.Children["ConfigMap.v1"] {
			children = append(children, c)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(metacontroller.CompositeResponse{Status: st, Children: children})
	}
}
