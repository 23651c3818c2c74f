package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookops/hookops/test/pki"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestConfigFromFlagsAndEnv(t *testing.T) {
	env := map[string]string{"HOOKOPS_MAX_BODY_BYTES": "4096", "HOOKOPS_ADDR": ":9999", "HOOKOPS_LOG_LEVEL": "debug"}
	cfg, err := parseConfig([]string{"--addr", ":7777"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxBodyBytes != 4096 || cfg.Addr != ":7777" || cfg.LogLevel.String() != "DEBUG" {
		t.Errorf("cfg = %+v: want env body limit, flag addr, env log level", cfg)
	}
}

func TestConfigRejects(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--addr", ""}, nil, "nothing to serve"},
		{[]string{"--tls-addr", ":8443"}, nil, "--tls-addr needs --tls-cert-file"},
		{[]string{"--client-ca-file", "/nope"}, nil, "--client-ca-file needs --tls-addr"},
		{[]string{"--auth-token-file", "/does/not/exist"}, nil, "--auth-token-file"},
		{[]string{"--max-body-bytes", "10"}, nil, "--max-body-bytes must be at least 1024"},
		{[]string{"--request-timeout", "1m"}, nil, "--request-timeout"},
		{[]string{"--github-timeout", "9s"}, nil, "--github-timeout"},
		{[]string{"--resync-interval", "10ms"}, nil, "--resync-interval must be 0 or at least 1s"},
		{[]string{"--log-level", "loud"}, nil, "--log-level"},
		{nil, map[string]string{"HOOKOPS_MAX_IN_FLIGHT": "many"}, "HOOKOPS_MAX_IN_FLIGHT"},
		{[]string{"--deletion-guard-limit", "-1"}, nil, "--deletion-guard-limit"},
		{[]string{"--github-content-limits", "80/minute"}, nil, "--github-content-limits"},
		{[]string{"--github-points-limits", "lots"}, nil, "--github-points-limits"},
		{[]string{"--replicas", "0"}, nil, "--replicas"},
		{[]string{"--deletion-guard-namespace", ""}, nil, "--deletion-guard-namespace"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			_, err := parseConfig(c.args, func(k string) string { return c.env[k] }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

// Without the Kubernetes API the deletion guard could count nothing, so
// the server refuses to start and says how to go on.
func TestGuardNeedsTheAPI(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	err := run(t.Context(), []string{"--addr", freeAddr(t)}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--deletion-guard-window=0") || !strings.Contains(err.Error(), "--kubeconfig") {
		t.Errorf("err = %v, want it to name --kubeconfig and --deletion-guard-window=0", err)
	}
}

// SIGTERM (here: the context ending) stops new connections and lets the
// request in flight finish.
func TestGracefulShutdown(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--deletion-guard-window=0"}, func(string) string { return "" }, io.Discard)
	}()
	waitHealthy(t, "http://"+addr)

	// A request still reading its body when shutdown begins.
	pr, pw := io.Pipe()
	result := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/hooks/githubrepo/customize", pr)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	_, _ = pw.Write([]byte(`{"parent":`))
	time.Sleep(100 * time.Millisecond)
	cancel()
	time.Sleep(100 * time.Millisecond)
	_, _ = pw.Write([]byte(`{"apiVersion":"v1","kind":"X","metadata":{"name":"a"}}}`))
	_ = pw.Close()

	if status := <-result; status <= 0 {
		t.Errorf("in-flight request was cut off (status %d)", status)
	}
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still accepting connections after shutdown")
	}
}

// Mutual TLS: hook routes need a client certificate signed by the client
// CA, the serving certificate is reloaded when its file changes, and
// /healthz stays reachable without a client certificate.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("hookops-test")
	if err != nil {
		t.Fatal(err)
	}
	serving, _ := ca.Server("first", "127.0.0.1")
	certFile, keyFile, err := serving.Write(dir, "tls")
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.crt")
	writeFile(t, caFile, string(ca.CertPEM))
	client, _ := ca.Client("metacontroller")
	clientCert, _ := client.TLSCertificate()
	other, _ := pki.NewCA("someone-else")
	strangerPair, _ := other.Client("stranger")
	stranger, _ := strangerPair.TLSCertificate()

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "", "--deletion-guard-window=0", "--tls-addr", addr, "--tls-cert-file", certFile, "--tls-key-file", keyFile, "--client-ca-file", caFile}, func(string) string { return "" }, io.Discard)
	}()
	defer func() { cancel(); <-done }()

	clientWith := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), Certificates: certs}, DisableKeepAlives: true}}
	}
	base := "https://" + addr
	waitHealthyWith(t, clientWith(), base)

	body := `{"parent":{"apiVersion":"v1","kind":"X","metadata":{"name":"a"}}}`
	post := func(c *http.Client) (int, error) {
		resp, err := c.Post(base+"/hooks/githubrepo/customize", "application/json", strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if status, err := post(clientWith(clientCert)); err != nil || status != 200 {
		t.Errorf("with client cert: %d %v", status, err)
	}
	if status, err := post(clientWith()); err != nil || status != 401 {
		t.Errorf("without client cert: %d %v, want 401", status, err)
	}
	// Go's client withholds a certificate the server's CA list does not
	// name, so a stranger is refused either at the handshake or with 401.
	if status, err := post(clientWith(stranger)); err == nil && status != 401 {
		t.Errorf("a certificate from another CA was accepted: %d", status)
	}

	// Rotate the serving certificate; new connections see it.
	rotated, _ := ca.Server("second", "127.0.0.1")
	if _, _, err := rotated.Write(dir, "tls"); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(2 * time.Second)
	_ = os.Chtimes(certFile, future, future)
	deadline := time.Now().Add(5 * time.Second)
	for servingCN(t, addr, ca) != "second" {
		if time.Now().After(deadline) {
			t.Fatal("rotated serving certificate never served")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func servingCN(t *testing.T, addr string, ca *pki.CA) string {
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

func waitHealthy(t *testing.T, base string) { waitHealthyWith(t, http.DefaultClient, base) }

func waitHealthyWith(t *testing.T, c *http.Client, base string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := c.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal(fmt.Errorf("server at %s never became ready: %v", base, err))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Profiles are served only on their own listener, when --pprof-addr asks.
func TestProfilesOnTheirOwnListener(t *testing.T) {
	addr, prof := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--pprof-addr", prof, "--deletion-guard-window=0"}, func(string) string { return "" }, io.Discard)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitHealthy(t, "http://"+addr)
	for _, c := range []struct {
		url  string
		want int
	}{
		{"http://" + prof + "/debug/pprof/heap?debug=1", http.StatusOK},
		{"http://" + addr + "/debug/pprof/heap?debug=1", http.StatusNotFound},
	} {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s = %d, want %d", c.url, resp.StatusCode, c.want)
		}
	}
}
