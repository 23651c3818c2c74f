package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// serverTLS builds a TLS configuration whose serving certificate and client
// CA bundle are re-read when their files change.
func serverTLS(cfg *config) (*tls.Config, error) {
	cert, err := newReloading(func() (*tls.Certificate, error) {
		c, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load serving certificate: %w", err)
		}
		return &c, nil
	}, cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, err
	}
	base := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cert.get() },
	}
	if cfg.ClientCAFile == "" {
		return base, nil
	}
	pool, err := newReloading(func() (*x509.CertPool, error) { return readCAPool(cfg.ClientCAFile) }, cfg.ClientCAFile)
	if err != nil {
		return nil, err
	}
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		p, err := pool.get()
		if err != nil {
			return nil, err
		}
		c := base.Clone()
		c.GetConfigForClient = nil
		// Verified if given; the hook routes then insist on one (see
		// requireClientCert) while /convert stays open to kube-apiserver,
		// which presents none.
		c.ClientAuth = tls.VerifyClientCertIfGiven
		c.ClientCAs = p
		return c, nil
	}
	return base, nil
}

func readCAPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read client CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("client CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}
