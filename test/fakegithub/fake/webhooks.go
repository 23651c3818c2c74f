package fake

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Webhooks: the fake POSTs events to the webhooks it knows, as GitHub does
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads), for
// changes made through the API and for changes made by hand (the Go and
// admin knobs, which stand for a person in GitHub's web UI). Deliveries
// go asynchronously, one webhook's in order, each with a short timeout, so
// a slow or dead receiver never holds up the API; every one is recorded.

// Webhook is a webhook as GitHub keeps one.
type Webhook struct {
	ID int64 `json:"id"`
	// URL is the payload URL.
	URL string `json:"url"`
	// Secret signs every delivery (X-Hub-Signature-256 and the legacy
	// X-Hub-Signature); empty sends none, as GitHub does for a webhook
	// without a secret. The admin endpoint never shows it.
	Secret string `json:"secret,omitempty"`
	// Org makes it an organization webhook: it gets the events of that
	// organization's repositories. Empty gets every repository's events (a
	// shortcut of the fake's).
	Org string `json:"org,omitempty"`
	// Events are the events it subscribes to; empty is ["repository"],
	// "*" every event.
	Events []string `json:"events,omitempty"`
}

func (h Webhook) wants(event string) bool {
	if len(h.Events) == 0 {
		return event == "repository"
	}
	return slices.Contains(h.Events, event) || slices.Contains(h.Events, "*")
}

func (h Webhook) covers(owners ...string) bool {
	return h.Org == "" || slices.ContainsFunc(owners, func(o string) bool { return strings.EqualFold(o, h.Org) })
}

// Delivery is one POST to a webhook, as the fake recorded it.
type Delivery struct {
	GUID       string `json:"guid"`
	HookID     int64  `json:"hook_id"`
	Event      string `json:"event"`
	Action     string `json:"action,omitempty"`
	Repository string `json:"repository,omitempty"` // owner/name
	// Redelivery marks a copy sent by Redeliver, with the same GUID.
	Redelivery bool            `json:"redelivery,omitempty"`
	URL        string          `json:"url"`
	Header     http.Header     `json:"header"`
	Payload    json.RawMessage `json:"payload"`
	// Time is when the event happened; Delivered when the answer came
	// (zero while queued or when none came).
	Time      time.Time `json:"time"`
	Delivered time.Time `json:"delivered,omitzero"`
	// Status is the receiver's answer, 0 when none came; Response is its
	// body (the first KiB); Error why none came.
	Status   int    `json:"status"`
	Response string `json:"response,omitempty"`
	Error    string `json:"error,omitempty"`
}

// webhooks is the fake's webhook state, guarded by its own mutex: the
// sender goroutines update deliveries without the state's lock. Lock order:
// Server.mu before webhooks.mu.
type webhooks struct {
	mu         sync.Mutex
	hooks      []*hookQueue
	lastID     int64
	deliveries []*Delivery
	client     *http.Client
	now        func() time.Time
}

// hookQueue is a webhook with its queue and the goroutine that drains it.
type hookQueue struct {
	Webhook
	queue chan *Delivery
	stop  chan struct{}
}

// DeliveryTimeout is how long the fake waits for a receiver's answer;
// GitHub waits 10 s, the fake less, so that tests see a slow receiver fail.
const DeliveryTimeout = 2 * time.Second

// maxDeliveries bounds the log of a long-running fake; the oldest go.
const maxDeliveries = 2000

// hookshotAgent is the User-Agent of every delivery, "GitHub-Hookshot/"
// and a short hex version, as GitHub sends it.
const hookshotAgent = "GitHub-Hookshot/8a3f1c2"

// enterpriseVersion is what X-GitHub-Enterprise-Version says when the fake
// is a GitHub Enterprise Server.
const enterpriseVersion = "3.17.0"

func newWebhooks() *webhooks {
	return &webhooks{client: &http.Client{
		Timeout: DeliveryTimeout,
		// GitHub does not follow redirects of a payload URL.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// WithWebhook adds a webhook for every repository's repository events,
// signed with secret.
func WithWebhook(url, secret string) Option {
	return func(s *Server) { s.pendingHooks = append(s.pendingHooks, Webhook{URL: url, Secret: secret}) }
}

// WithAPIURL is the API base URL (e.g. http://127.0.0.1:8090/) that
// webhook payloads of changes made by hand name in their URLs; changes made
// through the API name the base the request was sent to. The default
// follows WithWebURL as GitHub does: https://api.github.com for
// https://github.com, else the web URL with /api/v3.
func WithAPIURL(u string) Option { return func(s *Server) { s.apiURL = strings.TrimSuffix(u, "/") } }

// SetAPIURL is WithAPIURL for a running fake, e.g. once its address is known.
func (s *Server) SetAPIURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiURL = strings.TrimSuffix(u, "/")
}

// handBase is the API base of the payloads of changes made by hand.
func (s *Server) handBase() string {
	switch {
	case s.apiURL != "":
		return s.apiURL
	case s.webURL == "https://github.com":
		return "https://api.github.com"
	}
	return s.webURL + "/api/v3"
}

// AddWebhook adds a webhook and returns it with its id. As on GitHub, it is
// pinged at once.
func (s *Server) AddWebhook(h Webhook) (Webhook, error) {
	if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Webhook{}, fmt.Errorf("webhook url %q is not an http(s) URL", h.URL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var org *account
	if h.Org != "" {
		if org = s.st.account(h.Org); org == nil || !org.org {
			return Webhook{}, fmt.Errorf("webhook on %s: %w", h.Org, errNoOrg)
		}
	}
	s.hooks.mu.Lock()
	s.hooks.lastID++
	h.ID = 100000 + s.hooks.lastID
	q := &hookQueue{Webhook: h, queue: make(chan *Delivery, 256), stop: make(chan struct{})}
	s.hooks.hooks = append(s.hooks.hooks, q)
	s.hooks.mu.Unlock()
	go s.hooks.send(q)
	s.enqueueLocked(q, s.pingEvent(q.Webhook, org))
	return h, nil
}

var errNoOrg = errors.New("no such organization")

// RemoveWebhook stops deliveries to a webhook; queued ones are dropped.
func (s *Server) RemoveWebhook(id int64) bool {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	for i, q := range s.hooks.hooks {
		if q.ID == id {
			close(q.stop)
			s.hooks.hooks = slices.Delete(s.hooks.hooks, i, i+1)
			return true
		}
	}
	return false
}

// Webhooks lists the webhooks, secrets left out.
func (s *Server) Webhooks() []Webhook {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]Webhook, 0, len(s.hooks.hooks))
	for _, q := range s.hooks.hooks {
		h := q.Webhook
		h.Secret, h.Events = "", slices.Clone(h.Events)
		out = append(out, h)
	}
	return out
}

// Close stops every webhook's deliveries. The API keeps serving.
func (s *Server) Close() {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	for _, q := range s.hooks.hooks {
		close(q.stop)
	}
	s.hooks.hooks = nil
}

// Deliveries returns the recorded deliveries, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]Delivery, 0, len(s.hooks.deliveries))
	for _, d := range s.hooks.deliveries {
		c := *d
		c.Header = d.Header.Clone()
		out = append(out, c)
	}
	return out
}

// ClearDeliveries empties the delivery log.
func (s *Server) ClearDeliveries() {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.deliveries = nil
}

var errNoDelivery = errors.New("no such delivery")

// Redeliver sends a recorded delivery again, as GitHub's "Redeliver"
// button does: the same payload and headers, X-GitHub-Delivery included.
func (s *Server) Redeliver(guid string) error {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	i := slices.IndexFunc(s.hooks.deliveries, func(d *Delivery) bool { return d.GUID == guid && !d.Redelivery })
	if i < 0 {
		return fmt.Errorf("redeliver %s: %w", guid, errNoDelivery)
	}
	orig := s.hooks.deliveries[i]
	q := s.hooks.byID(orig.HookID)
	if q == nil {
		return fmt.Errorf("redeliver %s: its webhook is gone: %w", guid, errNoDelivery)
	}
	d := &Delivery{GUID: orig.GUID, HookID: orig.HookID, Event: orig.Event, Action: orig.Action, Repository: orig.Repository,
		Redelivery: true, URL: q.URL, Header: orig.Header.Clone(), Payload: orig.Payload, Time: orig.Time}
	s.hooks.queueLocked(q, d)
	return nil
}

func (w *webhooks) byID(id int64) *hookQueue {
	for _, q := range w.hooks {
		if q.ID == id {
			return q
		}
	}
	return nil
}

// emitLocked delivers an event named name to every webhook that
// subscribes to it and covers one of owners (the repository's owner; both
// owners of a transfer). The caller holds s.mu: build renders the payload
// from the state as it is now, and only when a webhook wants it, so that a
// fake without webhooks spends nothing on them.
func (s *Server) emitLocked(name string, build func() event, owners ...string) {
	s.hooks.mu.Lock()
	var hooks []*hookQueue
	for _, q := range s.hooks.hooks {
		if q.wants(name) && q.covers(owners...) {
			hooks = append(hooks, q)
		}
	}
	s.hooks.mu.Unlock()
	if len(hooks) == 0 {
		return
	}
	ev := build()
	for _, q := range hooks {
		s.enqueueLocked(q, ev)
	}
}

// enqueueLocked signs ev for q and queues it.
func (s *Server) enqueueLocked(q *hookQueue, ev event) {
	body, err := json.Marshal(ev.payload)
	if err != nil {
		s.log.Error("webhook payload", "err", err)
		return
	}
	d := &Delivery{GUID: newGUID(), HookID: q.ID, Event: ev.name, Action: ev.action, Repository: ev.repository,
		URL: q.URL, Payload: body, Time: s.now()}
	d.Header = s.deliveryHeader(q, ev, d.GUID, body)
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.queueLocked(q, d)
}

// queueLocked records d and hands it to q's sender; a full queue drops it,
// as GitHub drops what it cannot deliver.
func (w *webhooks) queueLocked(q *hookQueue, d *Delivery) {
	if len(w.deliveries) >= maxDeliveries {
		w.deliveries = slices.Delete(w.deliveries, 0, maxDeliveries/10)
	}
	w.deliveries = append(w.deliveries, d)
	select {
	case q.queue <- d:
	default:
		d.Error = "dropped: the webhook's queue is full"
	}
}

// deliveryHeader is what GitHub sends with a delivery
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers).
func (s *Server) deliveryHeader(q *hookQueue, ev event, guid string, body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", hookshotAgent)
	h.Set("X-GitHub-Event", ev.name)
	h.Set("X-GitHub-Delivery", guid)
	h.Set("X-GitHub-Hook-ID", strconv.FormatInt(q.ID, 10))
	h.Set("X-GitHub-Hook-Installation-Target-Type", ev.targetType)
	h.Set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(ev.targetID, 10))
	if q.Secret != "" {
		h.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(SignSHA1([]byte(q.Secret), body)))
		h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(Sign([]byte(q.Secret), body)))
	}
	if s.enterprise {
		host := strings.TrimPrefix(strings.TrimPrefix(s.webURL, "https://"), "http://")
		h.Set("X-GitHub-Enterprise-Host", host)
		h.Set("X-GitHub-Enterprise-Version", enterpriseVersion)
	}
	return h
}

// Sign is X-Hub-Signature-256 without its "sha256=": the HMAC-SHA256 of
// the body under the webhook's secret
// (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
func Sign(secret, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return mac.Sum(nil)
}

// SignSHA1 is the legacy X-Hub-Signature without its "sha1=".
func SignSHA1(secret, body []byte) []byte {
	mac := hmac.New(sha1.New, secret)
	mac.Write(body)
	return mac.Sum(nil)
}

// newGUID is a random (version 4) UUID, the form of X-GitHub-Delivery.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b[:])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// send delivers q's queue in order until the webhook is removed.
func (w *webhooks) send(q *hookQueue) {
	for {
		select {
		case <-q.stop:
			return
		case d := <-q.queue:
			w.post(d)
		}
	}
}

func (w *webhooks) post(d *Delivery) {
	status, response, err := w.do(d)
	w.mu.Lock()
	defer w.mu.Unlock()
	d.Status, d.Response = status, response
	if err != nil {
		d.Error = err.Error()
		return
	}
	d.Delivered = w.now()
}

func (w *webhooks) do(d *Delivery) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, "", err
	}
	req.Header = d.Header.Clone()
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return resp.StatusCode, string(body), nil
}
