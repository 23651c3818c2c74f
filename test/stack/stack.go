// Package stack runs hookops end to end on one machine: a real control
// plane (etcd, kube-apiserver, kube-controller-manager), the fake GitHub,
// the hook server binary, optionally its GitHub webhook receiver, and a
// Metacontroller — the project's stand-in, or a real Metacontroller binary
// when METACONTROLLER_BIN names one. `make run` and the e2e tests both use
// it, so what users try is what is tested.
package stack

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/hookops/hookops/test/controlplane"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/pki"
	"github.com/hookops/hookops/test/process"
	"github.com/hookops/hookops/test/reference"
	"github.com/hookops/hookops/test/standin"
)

// Options configures a stack. The zero value picks free loopback ports.
type Options struct {
	HookAddr   string // default 127.0.0.1:0
	GitHubAddr string // default 127.0.0.1:0
	// ResyncPeriodSeconds overrides the shipped controllers' resync period
	// (0 keeps it), so that tests see drift corrected in seconds.
	ResyncPeriodSeconds int64
	// GitHub configures the fake; nil is fake.DefaultConfig plus the samples' token.
	GitHub *fake.Config
	// MetacontrollerBin runs a real Metacontroller; "" uses the stand-in.
	MetacontrollerBin string
	// Samples applies manifests/samples.
	Samples bool
	// Log receives the stand-in's log; default: a file in the stack's Dir.
	Log *slog.Logger
	// ClusterID is the hook server's --cluster-id; default "local".
	ClusterID string
	// GitHubURL points the stack at a GitHub that is already running (the
	// fake of another stack) instead of starting a fake; Stack.GitHub is
	// then nil.
	GitHubURL string
	// HookArgs are extra hook server flags, after the stack's own. A
	// --log-level above info would hide the lines the stack reads the
	// server's ports from.
	HookArgs []string
	// Webhooks runs the GitHub webhook receiver (the hook server binary's
	// github-webhooks command) as its ServiceAccount from
	// manifests/github-webhooks, with that RBAC and admission policy, and
	// adds a webhook of every repository's events pointed at it to the fake
	// GitHub (not to one named by GitHubURL: add it there yourself).
	Webhooks bool
	// Users are identities the kube-apiserver authenticates besides the
	// admin, as controlplane.Options.Users.
	Users []controlplane.User
	// Controllers, when not nil, are the only Composite- and
	// DecoratorControllers of manifests/controllers (by name) the stack
	// installs, and so the only ones Metacontroller runs; an empty list
	// installs none, and then no Metacontroller starts.
	Controllers []string
	// DeferMetacontroller leaves starting Metacontroller to
	// Stack.StartMetacontroller, for a test that prepares objects first.
	DeferMetacontroller bool
	// StandinWorkers are the stand-in's sync workers per controller; 0 is
	// its default.
	StandinWorkers int
	// StandinConfig, when set, adapts the stand-in's client configuration
	// (a copy), for example to lift its rate limits or count its requests.
	StandinConfig func(*rest.Config) *rest.Config
}

// Stack is a running local hookops.
type Stack struct {
	ControlPlane *controlplane.ControlPlane
	GitHub       *fake.Server
	GitHubURL    string // ends in "/"
	HookURL      string
	// ConvertURL is the hook server's /convert on its HTTPS listener.
	ConvertURL string
	// HookToken is the bearer token hook calls must carry, as Metacontroller
	// sends it from the Secret hookops-system/hookops-hook-token.
	HookToken string
	// ReceiverURL is the GitHub webhook receiver's base URL (/readyz,
	// /metrics), WebhookURL its payload URL and WebhookSecret the secret
	// deliveries are signed with; empty without Options.Webhooks.
	ReceiverURL   string
	WebhookURL    string
	WebhookSecret string
	// Standin is the stand-in Metacontroller; nil when a real one runs or
	// none is running.
	Standin *standin.Standin
	// HookServer is the hook server's process, whose log tests may read.
	HookServer *process.Process
	// Dir holds the logs of the processes the stack started.
	Dir string

	opts       Options
	caPEM      []byte
	standinLog string // the stand-in's log file; "" when Options.Log is given
	procs      []*process.Process
	closers    []io.Closer
	servers    []*http.Server
	mc         *running // nil while no Metacontroller runs
	mcStarts   int
}

// SampleToken is the token in manifests/samples' Secret; the stack's fake
// GitHub accepts it so that the samples work unchanged.
const SampleToken = "replace-me"

// Start brings everything up; on error nothing is left running.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	root := reference.RepoRoot()
	s := &Stack{opts: opts}
	if s.Dir, err = os.MkdirTemp("", "hookops-stack-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = s.Stop()
		}
	}()
	if s.ControlPlane, err = controlplane.Start(ctx, controlplane.Options{Users: opts.Users}); err != nil {
		return nil, err
	}
	if err = s.startGitHub(opts); err != nil {
		return nil, err
	}
	if err = s.startHookServer(ctx, root, opts); err != nil {
		return nil, err
	}
	if err = s.install(ctx, root, opts); err != nil {
		return nil, err
	}
	if opts.Webhooks {
		if err = s.startReceiver(ctx, root); err != nil {
			return nil, err
		}
	}
	if !opts.DeferMetacontroller {
		if err = s.StartMetacontroller(ctx); err != nil {
			return nil, err
		}
	}
	if opts.Samples {
		samples, err := readManifests(filepath.Join(root, "manifests", "samples"), nil)
		if err == nil {
			err = controlplane.ApplyObjects(ctx, s.ControlPlane.Config, samples...)
		}
		if err != nil {
			return nil, fmt.Errorf("apply samples: %w", err)
		}
	}
	return s, nil
}

func (s *Stack) startGitHub(opts Options) error {
	if opts.GitHubURL != "" {
		s.GitHubURL = opts.GitHubURL
		return nil
	}
	cfg := fake.DefaultConfig()
	if opts.GitHub != nil {
		cfg = *opts.GitHub
	}
	cfg.Tokens[SampleToken] = "octocat"
	gh, err := fake.New(fake.WithConfig(cfg))
	if err != nil {
		return err
	}
	s.GitHub = gh
	url, err := s.serve(opts.GitHubAddr, gh.Handler())
	s.GitHubURL = url + "/"
	// Webhook payloads of changes made by hand name the API where the hook
	// server finds it, as GitHub's name api.github.com.
	gh.SetAPIURL(url)
	return err
}

func (s *Stack) serve(addr string, h http.Handler) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// startHookServer builds and runs the real hook server binary.
func (s *Stack) startHookServer(ctx context.Context, root string, opts Options) error {
	bin := filepath.Join(s.Dir, "hookops-server")
	if err := process.Build(ctx, root, "./server", bin); err != nil {
		return err
	}
	addr := cmp.Or(opts.HookAddr, process.LoopbackAny)
	tlsArgs, err := s.serverTLS(process.LoopbackAny)
	if err != nil {
		return err
	}
	tokenFile, err := s.hookTokenFile()
	if err != nil {
		return err
	}
	args := append([]string{"--addr", addr, "--github-url", s.GitHubURL, "--log-level", "debug", "--cluster-id", cmp.Or(opts.ClusterID, "local"),
		"--auth-token-file", tokenFile, "--kubeconfig", s.ControlPlane.KubeconfigPath}, tlsArgs...)
	args = append(args, opts.HookArgs...)
	p, err := s.exec("hookops-server", bin, nil, args...)
	if err != nil {
		return err
	}
	s.HookServer = p
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The server picked its ports; its log says which.
	if opts.HookAddr == "" {
		if addr, err = p.ListenAddr(ctx, "serving", map[string]any{"tls": false}); err != nil {
			return err
		}
	}
	tlsAddr, err := p.ListenAddr(ctx, "serving", map[string]any{"tls": true})
	if err != nil {
		return err
	}
	s.HookURL, s.ConvertURL = "http://"+addr, "https://"+tlsAddr+"/convert"
	return p.WaitReady(ctx, process.HTTPOK(nil, s.HookURL+"/readyz"))
}

// hookTokenFile makes a random hook token and writes it where the hook
// server reads it.
func (s *Stack) hookTokenFile() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	s.HookToken = hex.EncodeToString(b)
	path := filepath.Join(s.Dir, "hook-token")
	return path, os.WriteFile(path, []byte(s.HookToken+"\n"), 0o600)
}

// hookTokenSecret is the Secret the shipped controllers' webhooks read the
// token from (manifests/controllers/), with its namespace.
func (s *Stack) hookTokenSecret() []*unstructured.Unstructured {
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": "hookops-system"}}}
	secret := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": "hookops-hook-token", "namespace": "hookops-system"},
		"stringData": map[string]any{"token": s.HookToken}}}
	return []*unstructured.Unstructured{ns, secret}
}

// serverTLS makes a CA and a serving certificate for the hook server's
// HTTPS listener on addr, which kube-apiserver calls for CRD conversion
// (at ConvertURL, once the server says where it listens).
func (s *Stack) serverTLS(addr string) ([]string, error) {
	ca, err := pki.NewCA("hookops-local")
	if err != nil {
		return nil, err
	}
	pair, err := ca.Server("hookops", "127.0.0.1", "localhost")
	if err != nil {
		return nil, err
	}
	cert, key, err := pair.Write(s.Dir, "serving")
	if err != nil {
		return nil, err
	}
	s.caPEM = ca.CertPEM
	return []string{"--tls-addr", addr, "--tls-cert-file", cert, "--tls-key-file", key}, nil
}

// install applies Metacontroller's CRDs, our CRDs and our controllers, with
// each webhook pointed at the local hook server.
func (s *Stack) install(ctx context.Context, root string, opts Options) error {
	objs, err := controlplane.ReadObjects(filepath.Join(reference.Dir(), "metacontroller", "crds-v4.17.2.yaml"))
	if err != nil {
		return fmt.Errorf("read Metacontroller's CRDs: %w", err)
	}
	crds, err := readManifests(filepath.Join(root, "manifests", "crds"), s.localizeConversion)
	if err != nil {
		return fmt.Errorf("read our CRDs: %w", err)
	}
	controllers, err := readManifests(filepath.Join(root, "manifests", "controllers"), func(o *unstructured.Unstructured) error {
		return localize(o, s.HookURL, opts.ResyncPeriodSeconds)
	})
	if err != nil {
		return fmt.Errorf("read our controllers: %w", err)
	}
	if opts.Controllers != nil {
		controllers = slices.DeleteFunc(controllers, func(o *unstructured.Unstructured) bool {
			return isController(o) && !slices.Contains(opts.Controllers, o.GetName())
		})
	}
	// ApplyObjects applies the CRDs first and waits for each to be
	// established. The hook token Secret goes before the controllers, whose
	// webhooks read it.
	objs = append(append(append(objs, crds...), s.hookTokenSecret()...), controllers...)
	if err := controlplane.ApplyObjects(ctx, s.ControlPlane.Config, objs...); err != nil {
		return fmt.Errorf("install hookops: %w", err)
	}
	return nil
}

// readManifests reads the objects of every YAML file in dir and, unless
// adapt is nil, adapts each to the local stack.
func readManifests(dir string, adapt func(*unstructured.Unstructured) error) ([]*unstructured.Unstructured, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	var all []*unstructured.Unstructured
	for _, f := range files {
		objs, err := controlplane.ReadObjects(f)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if adapt == nil {
				continue
			}
			if err := adapt(o); err != nil {
				return nil, err
			}
		}
		all = append(all, objs...)
	}
	return all, nil
}

// localize points a shipped controller's service webhooks at the local hook
// server: outside a cluster, a Service name does not resolve.
func localize(o *unstructured.Unstructured, hookURL string, resync int64) error {
	hooks, found, err := unstructured.NestedMap(o.Object, "spec", "hooks")
	if err != nil || !found {
		return err
	}
	for _, h := range hooks {
		hook, _ := h.(map[string]any)
		wh, _ := hook["webhook"].(map[string]any)
		if wh == nil || wh["service"] == nil {
			continue
		}
		path, _ := wh["path"].(string)
		delete(wh, "service")
		delete(wh, "path")
		wh["url"] = hookURL + path
	}
	if err := unstructured.SetNestedMap(o.Object, hooks, "spec", "hooks"); err != nil {
		return err
	}
	if resync > 0 {
		return unstructured.SetNestedField(o.Object, resync, "spec", "resyncPeriodSeconds")
	}
	return nil
}

// localizeConversion points a CRD's conversion webhook at the local hook
// server's HTTPS listener, trusting the stack's own CA.
func (s *Stack) localizeConversion(crd *unstructured.Unstructured) error {
	if _, found, _ := unstructured.NestedMap(crd.Object, "spec", "conversion", "webhook"); !found {
		return nil
	}
	return unstructured.SetNestedMap(crd.Object, map[string]any{
		"url":      s.ConvertURL,
		"caBundle": base64.StdEncoding.EncodeToString(s.caPEM),
	}, "spec", "conversion", "webhook", "clientConfig")
}

// Stop ends everything the stack started and removes its files.
func (s *Stack) Stop() error {
	if s.GitHub != nil {
		s.GitHub.Close() // no more webhook deliveries
	}
	// The stand-in's error was logged; the stack's own are what Stop reports.
	_ = s.StopMetacontroller(context.Background())
	for i := len(s.procs) - 1; i >= 0; i-- {
		s.procs[i].Stop(10 * time.Second)
	}
	for _, srv := range s.servers {
		_ = srv.Close()
	}
	for _, c := range s.closers {
		_ = c.Close()
	}
	var err error
	if s.ControlPlane != nil {
		err = s.ControlPlane.Stop()
	}
	return errors.Join(err, os.RemoveAll(s.Dir))
}

// Logs returns the tail of each log of the stack's processes, the stand-in
// and the control plane, for a failing test.
func (s *Stack) Logs() string {
	var b strings.Builder
	for _, p := range s.procs {
		fmt.Fprintf(&b, "==> %s <==\n%s\n", p.Name, p.LogTail())
	}
	if s.standinLog != "" {
		fmt.Fprintf(&b, "==> %s <==\n%s\n", filepath.Base(s.standinLog), process.TailFile(s.standinLog))
	}
	if s.ControlPlane != nil {
		b.WriteString(s.ControlPlane.LogTails())
	}
	return b.String()
}
