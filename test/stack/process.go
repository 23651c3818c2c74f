package stack

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/hookops/hookops/test/process"
)

// exec starts a process whose output goes to <Dir>/<name>.log; Stop ends it.
func (s *Stack) exec(name, bin string, env []string, args ...string) (*process.Process, error) {
	p, err := process.Start(s.Dir, name, env, bin, args...)
	if err != nil {
		return nil, err
	}
	s.procs = append(s.procs, p)
	return p, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// getOK is a readiness check: url answers 200.
func getOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", url, resp.StatusCode)
	}
	return nil
}
