package ghwebhook

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(*config) bool
		err   string
	}{
		{name: "defaults", args: []string{"--webhook-secret-file=/s"}, check: func(c *config) bool {
			return c.addr == ":8080" && c.maxBodyBytes == 1<<20 && c.replayWindow == time.Hour && c.replayMax == 10000 && c.kubeconfig == ""
		}},
		{name: "environment fallback", env: map[string]string{"HOOKOPS_WEBHOOK_SECRET_FILE": "/env", "HOOKOPS_ADDR": ":9000"},
			check: func(c *config) bool { return c.secretFile == "/env" && c.addr == ":9000" }},
		{name: "a flag wins over the environment", args: []string{"--addr=:9100"}, env: map[string]string{"HOOKOPS_WEBHOOK_SECRET_FILE": "/env", "HOOKOPS_ADDR": ":9000"},
			check: func(c *config) bool { return c.addr == ":9100" }},
		{name: "no secret file", args: nil, err: "--webhook-secret-file is required"},
		{name: "tiny body limit", args: []string{"--webhook-secret-file=/s", "--max-body-bytes=10"}, err: "--max-body-bytes"},
		{name: "bad log level", args: []string{"--webhook-secret-file=/s", "--log-level=loud"}, err: "--log-level"},
		{name: "bad environment value", env: map[string]string{"HOOKOPS_MAX_BODY_BYTES": "lots"}, err: "HOOKOPS_MAX_BODY_BYTES"},
		{name: "stray argument", args: []string{"--webhook-secret-file=/s", "extra"}, err: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Fatalf("parseConfig = %+v, %v", c, err)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var out strings.Builder
	_, err := parseConfig([]string{"--help"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "github-webhooks") || !strings.Contains(out.String(), "--webhook-secret-file") && !strings.Contains(out.String(), "-webhook-secret-file") {
		t.Fatalf("--help: %v\n%s", err, out.String())
	}
}
