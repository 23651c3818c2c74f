package fake

import (
	"net/http"
	"path"
	"strings"
	"time"
)

// Fault changes how matching API requests are answered. Faults apply to
// authenticated requests that passed the secondary rate limits, and before
// the primary one, so a faulted request costs no budget unless After lets
// it be served. The first matching fault, in the order injected, applies.
type Fault struct {
	// Method matches case-insensitively; empty matches any.
	Method string
	// Path is a path.Match pattern for the request path without any
	// /api/v3 prefix, e.g. "/repos/acme/*"; empty matches any.
	Path string
	// Latency delays the answer (in wall-clock time, so client timeouts
	// can fire).
	Latency time.Duration
	// Status, if set, is answered instead of serving the request.
	Status int
	// Drop closes the connection without answering. An HTTP client may
	// retry an idempotent request on a fresh connection by itself, so a
	// Times of 1 can go unnoticed.
	Drop bool
	// After serves the request for real, keeping its change and charging
	// its budget, then loses the answer: Latency passes, and Status or
	// Drop replaces it. GitHub ends requests that take over 10 seconds
	// with a timeout; what they did may still have been done. After
	// needs Status or Drop.
	After bool
	// Times limits the fault to that many matching requests; 0 is no limit.
	Times int
	// For limits the fault to that long from now on the fake's clock; 0 is
	// no limit.
	For time.Duration
}

type activeFault struct {
	Fault
	id    int
	left  int
	until time.Time
}

func (f *activeFault) matches(method, p string) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	if f.Path == "" {
		return true
	}
	ok, err := path.Match(f.Path, p)
	return err == nil && ok
}

// InjectFault adds a fault and returns its id for RemoveFault.
func (s *Server) InjectFault(f Fault) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastFault++
	af := &activeFault{Fault: f, id: s.lastFault, left: f.Times}
	if f.For > 0 {
		af.until = s.now().Add(f.For)
	}
	s.faults = append(s.faults, af)
	return af.id
}

// RemoveFault removes one fault; ClearFaults removes all.
func (s *Server) RemoveFault(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = removeFault(s.faults, id)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func removeFault(faults []*activeFault, id int) []*activeFault {
	out := faults[:0]
	for _, f := range faults {
		if f.id != id {
			out = append(out, f)
		}
	}
	return out
}

// takeFault finds the fault for a request and uses up one of its times;
// expired faults go first.
func (s *Server) takeFault(method, p string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	live := s.faults[:0]
	for _, f := range s.faults {
		if f.until.IsZero() || now.Before(f.until) {
			live = append(live, f)
		}
	}
	s.faults = live
	for _, f := range s.faults {
		if !f.matches(method, p) {
			continue
		}
		if f.Times > 0 {
			if f.left--; f.left == 0 {
				s.faults = removeFault(s.faults, f.id)
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

func (s *Server) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r)
		f, ok := s.takeFault(r.Method, c.path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		c.fault = true
		if f.After && (f.Status != 0 || f.Drop) {
			lost := &discard{header: http.Header{}}
			next.ServeHTTP(lost, r)
			c.lostStatus = lost.status
		}
		if !sleep(r, f.Latency) {
			c.dropped = true // the client gave up; nothing was answered
			return
		}
		switch {
		case f.Drop:
			c.dropped = true
			s.finish(r, c)
			drop(w)
		case f.Status != 0:
			s.write(w, r, errReply(f.Status, http.StatusText(f.Status), docRoot))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// discard takes an answer that a fault loses, keeping only its status.
type discard struct {
	header http.Header
	status int
}

func (d *discard) Header() http.Header { return d.header }

func (d *discard) WriteHeader(status int) {
	if d.status == 0 {
		d.status = status
	}
}

func (d *discard) Write(b []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	return len(b), nil
}

// sleep waits d unless the client goes away first.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// drop closes the connection; where it can't be hijacked (HTTP/2) the
// handler aborts, which resets the stream instead.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
