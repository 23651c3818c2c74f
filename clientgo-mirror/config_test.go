package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	env := map[string]string{"POD_NAMESPACE": "mirror-ns", "POD_NAME": "mirror-0"}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		name  string
		args  []string
		check func(*config) bool
		err   string
	}{
		{"defaults", nil, func(c *config) bool {
			return !c.leaderElect && c.workers == 2 && c.writesPerSync == 8 && c.kubeconfig == "" && c.httpAddr == ":8080" && c.leaseNS == "mirror-ns" && c.identity == "mirror-0"
		}, ""},
		{"leader election", []string{"--leader-elect", "--leader-elect-lease-duration=6s", "--leader-elect-renew-deadline=4s", "--leader-elect-retry-period=1s"}, func(c *config) bool {
			return c.leaderElect && c.leaseDuration == 6*time.Second
		}, ""},
		{"renew deadline beyond the lease", []string{"--leader-elect", "--leader-elect-renew-deadline=20s"}, nil, "retry period < renew deadline < lease duration"},
		{"writes per sync", []string{"--writes-per-sync=16"}, func(c *config) bool { return c.writesPerSync == 16 }, ""},
		{"stray argument", []string{"extra"}, nil, "unexpected arguments"},
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseConfig(c.args, getenv, io.Discard)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(cfg) {
				t.Errorf("config %+v", cfg)
			}
		})
	}
	if _, err := parseConfig([]string{"--help"}, getenv, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	// Without POD_NAME, two replicas on one host still get different names.
	a, _ := parseConfig(nil, func(string) string { return "" }, io.Discard)
	b, _ := parseConfig(nil, func(string) string { return "" }, io.Discard)
	if a.identity == b.identity {
		t.Errorf("identities collide: %q", a.identity)
	}
}
