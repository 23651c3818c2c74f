package standin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	kjson "sigs.k8s.io/json"

	"github.com/hookops/hookops/hooks/metacontroller"
)

// hook is one resolved webhook of a controller.
type hook struct {
	name    string
	url     string
	version metacontroller.Version
	timeout time.Duration
	// strict rejects answers with unknown or duplicate fields.
	strict bool
	// auth resolves the Authorization header ("" for none) on first use:
	// Metacontroller reads the Secret when it loads the controller, and not
	// again until the controller changes.
	auth func() (string, error)
}

// Call is one hook call the stand-in made.
type Call struct {
	// Time is when the request was sent.
	Time       time.Time
	Controller string
	// Hook is "customize", "sync" or "finalize".
	Hook string
	// Parent is the parent (or, for a DecoratorController, the target):
	// namespace/name, or name when cluster-scoped.
	Parent string
	// StatusCode is 0 when no HTTP answer arrived.
	StatusCode int
	Duration   time.Duration
	// Err says why the call failed; empty on success.
	Err string
}

type callLog struct {
	mu    sync.Mutex
	calls []Call
}

func (l *callLog) add(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

// Calls returns every hook call made so far, oldest first.
func (s *Standin) Calls() []Call {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return append([]Call(nil), s.calls.calls...)
}

// HookError is a hook call that did not produce a usable answer: no
// response, a status other than 200 and 429, or a body that does not decode.
// Metacontroller then writes nothing and retries with backoff.
type HookError struct {
	Controller, Hook string
	// StatusCode is 0 when no HTTP answer arrived.
	StatusCode int
	// Body is the start of a non-200 answer.
	Body string
	Err  error
}

func (e *HookError) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("%s %s hook: %v", e.Controller, e.Hook, e.Err)
	default:
		return fmt.Sprintf("%s %s hook answered %d: %s", e.Controller, e.Hook, e.StatusCode, e.Body)
	}
}

func (e *HookError) Unwrap() error { return e.Err }

// TooManyRequestsError is a 429 answer. Metacontroller retries after
// RetryAfter (from the Retry-After header) without counting it as a failure.
type TooManyRequestsError struct {
	Controller, Hook string
	RetryAfter       time.Duration
}

func (e *TooManyRequestsError) Error() string {
	return fmt.Sprintf("%s %s hook answered 429; retry after %s", e.Controller, e.Hook, e.RetryAfter)
}

const maxErrorBody = 512

func encodeRequest(req any) ([]byte, error) {
	if a, ok := req.(jsonAppender); ok {
		return a.appendJSON(nil)
	}
	return json.Marshal(req)
}

// call POSTs req to the controller's hook and decodes the answer into resp.
func (c *Controller) call(ctx context.Context, h *hook, parent string, req, resp any) error {
	body, err := encodeRequest(req)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", h.name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s hook: %w", h.name, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	if h.auth != nil {
		auth, err := h.auth()
		if err != nil {
			return &HookError{Controller: c.name, Hook: h.name, Err: err}
		}
		if auth != "" {
			hr.Header.Set("Authorization", auth)
		}
	}

	rec := Call{Time: time.Now(), Controller: c.name, Hook: h.name, Parent: parent}
	err = c.exchange(hr, h, resp, &rec)
	rec.Duration = time.Since(rec.Time)
	if err != nil {
		rec.Err = err.Error()
	}
	c.s.calls.add(rec)
	c.s.log.Debug("hook called", "controller", c.name, "hook", h.name, "parent", parent,
		"status", rec.StatusCode, "duration", rec.Duration, "error", rec.Err)
	return err
}

func (c *Controller) exchange(hr *http.Request, h *hook, resp any, rec *Call) error {
	fail := func(err error) error {
		return &HookError{Controller: c.name, Hook: h.name, StatusCode: rec.StatusCode, Err: err}
	}
	r, err := c.s.opts.HTTPClient.Do(hr)
	if err != nil {
		return fail(err)
	}
	defer r.Body.Close()
	rec.StatusCode = r.StatusCode
	if r.StatusCode == http.StatusTooManyRequests {
		return &TooManyRequestsError{Controller: c.name, Hook: h.name, RetryAfter: retryAfter(r.Header.Get("Retry-After"), time.Now())}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return fail(fmt.Errorf("read answer: %w", err))
	}
	if r.StatusCode != http.StatusOK {
		return &HookError{Controller: c.name, Hook: h.name, StatusCode: r.StatusCode, Body: string(data[:min(len(data), maxErrorBody)])}
	}
	if err := decodeAnswer(data, resp, h.strict); err != nil {
		return fail(err)
	}
	return nil
}

// retryAfter reads a Retry-After header the way Metacontroller does: an
// HTTP date or a number of seconds; anything else means no delay.
func retryAfter(v string, now time.Time) time.Duration {
	if t, err := time.Parse(time.RFC1123, v); err == nil {
		return max(time.Duration(math.Ceil(t.Sub(now).Seconds()))*time.Second, 0)
	}
	n, _ := strconv.Atoi(v)
	return max(time.Duration(n)*time.Second, 0)
}

// decodeAnswer decodes like Metacontroller: field names match exactly,
// numbers become int64 or float64, and unknown or duplicate fields are an
// error only in strict mode.
func decodeAnswer(data []byte, v any, strict bool) error {
	strictErrs, err := kjson.UnmarshalStrict(data, v)
	if err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	if strict && len(strictErrs) > 0 {
		return fmt.Errorf("decode answer strictly: %w", errors.Join(strictErrs...))
	}
	return nil
}
