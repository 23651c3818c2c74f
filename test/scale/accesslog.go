package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// answer is one line of the hook server's access log.
type answer struct {
	Time   time.Time `json:"time"`
	Msg    string    `json:"msg"`
	Path   string    `json:"path"`
	Status int       `json:"status"`
}

// readAnswers reads the access log lines of the hook server's JSON log. It
// counts what hookops_hook_requests_total does not: the requests its
// guards refuse (401, 413, 415, 429) before the metrics middleware.
func readAnswers(path string) ([]answer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the hook server's log: %w", err)
	}
	defer f.Close()
	var out []answer
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var a answer
		if json.Unmarshal(sc.Bytes(), &a) != nil || a.Msg != "request" || a.Path == "/metrics" {
			continue // not an access log line, or the benchmark's own scrape
		}
		out = append(out, a)
	}
	return out, sc.Err()
}

// answersBetween counts the answers from..to by path and status.
func answersBetween(all []answer, from, to time.Time) map[string]float64 {
	out := map[string]float64{}
	for _, a := range all {
		if a.Time.Before(from) || !a.Time.Before(to) {
			continue
		}
		out[fmt.Sprintf("%s %d", a.Path, a.Status)]++
	}
	return out
}
