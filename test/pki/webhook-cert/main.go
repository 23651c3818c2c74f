// Command webhook-cert makes a self-signed CA and a serving certificate for
// the conversion webhook, for clusters without cert-manager, and prints the
// kubectl commands that install them.
package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hookops/hookops/test/pki"
)

func main() {
	dir := flag.String("dir", "webhook-cert", "directory to write ca.crt, tls.crt and tls.key into")
	ns := flag.String("namespace", "hookops-system", "namespace of the hook server's Service")
	flag.Parse()
	if err := run(*dir, *ns); err != nil {
		fmt.Fprintln(os.Stderr, "webhook-cert:", err)
		os.Exit(1)
	}
}

func run(dir, ns string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca, err := pki.NewCA("hookops-webhook-ca")
	if err != nil {
		return err
	}
	svc := "hookops." + ns + ".svc"
	pair, err := ca.Server(svc, svc, svc+".cluster.local")
	if err != nil {
		return err
	}
	cert, key, err := pair.Write(dir, "tls")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644); err != nil {
		return err
	}
	fmt.Printf(`Wrote %s (valid for a day: for trying hookops out, not for production). Install with:

  kubectl -n %s create secret tls hookops-webhook-tls --cert=%s --key=%s
  kubectl patch crd githubrepos.github.hookops.dev --type=json \
    -p '[{"op":"add","path":"/spec/conversion/webhook/clientConfig/caBundle","value":"%s"}]'
`, dir, ns, cert, key, base64.StdEncoding.EncodeToString(ca.CertPEM))
	return nil
}
