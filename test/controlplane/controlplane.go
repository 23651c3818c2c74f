// Package controlplane runs a real etcd, kube-apiserver and
// kube-controller-manager on loopback for tests, built from Go modules by
// build.sh so that no container runtime or prebuilt download is needed.
package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"

	"github.com/hookops/hookops/test/process"
)

// ServiceClusterIPRange is the range Services get their cluster IPs from.
const ServiceClusterIPRange = "10.0.0.0/24"

// User is an identity the kube-apiserver authenticates by a bearer token.
type User struct {
	Name   string
	Groups []string
}

// Options configures Start. The zero value is usable.
type Options struct {
	// BinDir holds the binaries; empty means Binaries(ctx).
	BinDir string
	// Users get tokens in addition to the admin; see ControlPlane.UserConfig.
	// They exist only at start because the token file is read once.
	Users []User
	// APIServerArgs are appended to the kube-apiserver flags: a repeated
	// single-valued flag overrides ours, a repeated list flag (such as
	// --authorization-mode) adds to ours.
	APIServerArgs []string
	// StartTimeout bounds the whole start; default 2 minutes.
	StartTimeout time.Duration
	// StopGrace is how long a process may take to exit after SIGTERM before
	// it is killed; default 15 seconds.
	StopGrace time.Duration
}

// ControlPlane is a running etcd + kube-apiserver + kube-controller-manager.
type ControlPlane struct {
	// Config authenticates as an admin (group system:masters) and verifies
	// the apiserver's serving certificate.
	Config *rest.Config
	// KubeconfigPath is an admin kubeconfig, usable by kubectl.
	KubeconfigPath string
	// Dir holds data, certificates, kubeconfigs and one log per process; Stop
	// removes it.
	Dir string

	procs    []*process.Process
	users    map[string]*rest.Config
	grace    time.Duration
	stopOnce sync.Once
	stopErr  error
}

// Start runs a fresh control plane in a new temporary directory. On error
// everything it started is stopped and the directory removed.
func Start(ctx context.Context, opts Options) (_ *ControlPlane, err error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 2 * time.Minute
	}
	if opts.StopGrace == 0 {
		opts.StopGrace = 15 * time.Second
	}
	if opts.BinDir == "" {
		if opts.BinDir, err = Binaries(ctx); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "hookops-controlplane-")
	if err != nil {
		return nil, fmt.Errorf("control plane dir: %w", err)
	}
	cp := &ControlPlane{Dir: dir, grace: opts.StopGrace, users: map[string]*rest.Config{}}
	defer func() {
		if err != nil {
			// The start error already carries the log of a process that died.
			cp.stopOnce.Do(func() { cp.stopErr = cp.shutdown(false) })
			err = errors.Join(err, cp.stopErr)
		}
	}()
	ctx, cancel := context.WithTimeoutCause(ctx, opts.StartTimeout,
		fmt.Errorf("control plane did not start within %s", opts.StartTimeout))
	defer cancel()

	ports, err := process.FreePorts(4)
	if err != nil {
		return nil, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	if err := cp.startEtcd(ctx, opts.BinDir, etcdURL, ports[1]); err != nil {
		return nil, err
	}
	kcmUser := User{Name: "system:kube-controller-manager", Groups: []string{"system:masters"}}
	if err := cp.startAPIServer(ctx, opts, etcdURL, ports[2], kcmUser); err != nil {
		return nil, err
	}
	if err := cp.startControllerManager(ctx, opts.BinDir, ports[3], cp.users[kcmUser.Name]); err != nil {
		return nil, err
	}
	return cp, nil
}

func (cp *ControlPlane) start(ctx context.Context, binDir, name string, ready func(context.Context) error, args ...string) error {
	p, err := process.Start(cp.Dir, name, nil, filepath.Join(binDir, name), args...)
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	return p.WaitReady(ctx, ready)
}

func (cp *ControlPlane) startEtcd(ctx context.Context, binDir, clientURL string, peerPort int) error {
	ready := func(ctx context.Context) error { return getOK(ctx, &rest.Config{Host: clientURL}, "/health") }
	return cp.start(ctx, binDir, "etcd", ready,
		"--data-dir="+filepath.Join(cp.Dir, "etcd"),
		"--listen-client-urls="+clientURL,
		fmt.Sprintf("--listen-peer-urls=http://127.0.0.1:%d", peerPort))
}

func (cp *ControlPlane) startAPIServer(ctx context.Context, opts Options, etcdURL string, port int, kcm User) error {
	admin := User{Name: "hookops-admin", Groups: []string{"system:masters"}}
	tokenFile := filepath.Join(cp.Dir, "tokens.csv")
	tokens, err := writeTokenFile(tokenFile, append([]User{admin, kcm}, opts.Users...))
	if err != nil {
		return err
	}
	saKey := filepath.Join(cp.Dir, "sa.key")
	if err := writeServiceAccountKey(saKey); err != nil {
		return err
	}
	host := fmt.Sprintf("https://127.0.0.1:%d", port)
	certDir := filepath.Join(cp.Dir, "apiserver-certs")
	args := append([]string{
		"--etcd-servers=" + etcdURL,
		"--advertise-address=127.0.0.1",
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir=" + certDir,
		"--token-auth-file=" + tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=" + host,
		// The verifying keys may be given as private keys.
		"--service-account-key-file=" + saKey,
		"--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		// Nothing creates default ServiceAccounts (no serviceaccount
		// controller), so admission would reject every Pod.
		"--disable-admission-plugins=ServiceAccount",
		// The "kubernetes" Service's endpoints would point at a loopback
		// address, which the API rejects; nothing here routes to it anyway.
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
	}, opts.APIServerArgs...)

	// The apiserver writes its self-signed certificate (followed by its CA)
	// before serving, so readiness is checked over verified TLS.
	caFile := filepath.Join(certDir, "apiserver.crt")
	base := &rest.Config{Host: host}
	ready := func(ctx context.Context) error {
		cfg, err := withCA(base, caFile)
		if err != nil {
			return err
		}
		cfg.BearerToken = tokens[admin.Name]
		return getOK(ctx, cfg, "/readyz")
	}
	if err := cp.start(ctx, opts.BinDir, "kube-apiserver", ready, args...); err != nil {
		return err
	}
	if base, err = withCA(base, caFile); err != nil {
		return err
	}
	for name, token := range tokens {
		cfg := rest.CopyConfig(base)
		cfg.BearerToken = token
		cp.users[name] = cfg
	}
	cp.Config = cp.users[admin.Name]
	cp.KubeconfigPath = filepath.Join(cp.Dir, "kubeconfig")
	return writeKubeconfig(cp.KubeconfigPath, admin.Name, cp.Config)
}

func (cp *ControlPlane) startControllerManager(ctx context.Context, binDir string, port int, cfg *rest.Config) error {
	kubeconfig := filepath.Join(cp.Dir, "kube-controller-manager.kubeconfig")
	if err := writeKubeconfig(kubeconfig, "kube-controller-manager", cfg); err != nil {
		return err
	}
	certDir := filepath.Join(cp.Dir, "kcm-certs")
	// The controller manager, too, writes its self-signed certificate to
	// --cert-dir; /healthz is served to anonymous clients (always-allow path).
	ready := func(ctx context.Context) error {
		cfg, err := withCA(&rest.Config{Host: fmt.Sprintf("https://127.0.0.1:%d", port)},
			filepath.Join(certDir, "kube-controller-manager.crt"))
		if err != nil {
			return err
		}
		return getOK(ctx, cfg, "/healthz")
	}
	return cp.start(ctx, binDir, "kube-controller-manager", ready,
		"--kubeconfig="+kubeconfig,
		"--controllers=garbage-collector-controller,namespace-controller",
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir="+certDir,
	)
}

// withCA returns a copy of cfg that trusts the certificates in caFile.
func withCA(cfg *rest.Config, caFile string) (*rest.Config, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.CAData = ca
	return cfg, nil
}

// getOK is a readiness check: path on cfg's host answers 200.
func getOK(ctx context.Context, cfg *rest.Config, path string) error {
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return fmt.Errorf("http client: %w", err)
	}
	return process.HTTPOK(client, cfg.Host+path)(ctx)
}

// UserConfig returns a config that authenticates as one of Options.Users.
func (cp *ControlPlane) UserConfig(name string) (*rest.Config, error) {
	cfg, ok := cp.users[name]
	if !ok {
		return nil, fmt.Errorf("control plane has no user %q (users must be given in Options.Users)", name)
	}
	return rest.CopyConfig(cfg), nil
}

// Stop terminates the processes (SIGTERM, SIGKILL after the grace period),
// waits for them and removes Dir. It reports processes that had died before
// it was called. Calling it again returns the first result.
func (cp *ControlPlane) Stop() error {
	cp.stopOnce.Do(func() { cp.stopErr = cp.shutdown(true) })
	return cp.stopErr
}

func (cp *ControlPlane) shutdown(reportDead bool) error {
	var errs []error
	for i := len(cp.procs) - 1; i >= 0; i-- {
		p := cp.procs[i]
		if reportDead && p.Exited() {
			errs = append(errs, fmt.Errorf("%s had exited (%v); last lines of its log:\n%s", p.Name, p.Err(), p.LogTail()))
		}
		p.Stop(cp.grace)
	}
	if err := os.RemoveAll(cp.Dir); err != nil {
		errs = append(errs, fmt.Errorf("remove control plane dir: %w", err))
	}
	return errors.Join(errs...)
}

// LogTails returns the end of every process log, for diagnosing a failed test.
func (cp *ControlPlane) LogTails() string {
	var b strings.Builder
	for _, p := range cp.procs {
		fmt.Fprintf(&b, "--- %s (%s) ---\n%s\n", p.Name, p.LogPath, p.LogTail())
	}
	return b.String()
}
