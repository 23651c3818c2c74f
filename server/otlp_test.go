package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel"
	"google.golang.org/grpc"
)

// receiver collects the span names an OTLP exporter sends, decoding with
// the OpenTelemetry Collector's own OTLP packages.
type receiver struct {
	ptraceotlp.UnimplementedGRPCServer
	mu    sync.Mutex
	names []string
	svc   []string
}

func (rc *receiver) add(td ptrace.Traces) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, rs := range td.ResourceSpans().All() {
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			rc.svc = append(rc.svc, v.Str())
		}
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				rc.names = append(rc.names, s.Name())
			}
		}
	}
}

func (rc *receiver) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	rc.add(req.Traces())
	return ptraceotlp.NewExportResponse(), nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := ptraceotlp.NewExportRequest()
	if r.URL.Path != "/v1/traces" || req.UnmarshalProto(body) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	rc.add(req.Traces())
	out, _ := ptraceotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (rc *receiver) seen() (names, services []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.names...), append([]string(nil), rc.svc...)
}

// The hook server, configured only through the standard OTEL_* variables,
// delivers its spans to an OTLP receiver over http/protobuf and over gRPC,
// and flushes them on shutdown.
func TestOTLPExport(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			rc := &receiver{}
			endpoint := startReceiver(t, protocol, rc)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
			t.Setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
			t.Setenv("OTEL_SERVICE_NAME", "hookops-test")
			prev := otel.GetTracerProvider()
			t.Cleanup(func() { otel.SetTracerProvider(prev) })

			addr := freeAddr(t)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx, []string{"--addr", addr, "--deletion-guard-window=0"}, os.Getenv, io.Discard) }()
			waitHealthy(t, "http://"+addr)
			body := `{"parent":{"apiVersion":"github.hookops.dev/v1","kind":"GitHubRepo","metadata":{"name":"a","namespace":"n"},"spec":{"owner":"acme","credentialsSecretRef":{"name":"gh"}}}}`
			if status, resp, _ := (call{path: "/hooks/githubrepo/customize", body: body}).do(t, "http://"+addr); status != 200 {
				t.Fatalf("customize: %d %v", status, resp)
			}
			cancel() // shutdown must flush the batch
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			names, services := rc.seen()
			if !contains(names, "POST /hooks/githubrepo/customize") {
				t.Errorf("receiver got spans %v, want POST /hooks/githubrepo/customize", names)
			}
			if !contains(services, "hookops-test") {
				t.Errorf("service names %v, want OTEL_SERVICE_NAME", services)
			}
		})
	}
}

func startReceiver(t *testing.T, protocol string, rc *receiver) string {
	t.Helper()
	if protocol == "grpc" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := grpc.NewServer()
		ptraceotlp.RegisterGRPCServer(s, rc)
		go func() { _ = s.Serve(ln) }()
		t.Cleanup(s.Stop)
		return "http://" + ln.Addr().String()
	}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv.URL
}

func contains(list []string, want string) bool {
	for _, s := range list {
		if strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}
