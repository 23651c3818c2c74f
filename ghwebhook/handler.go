package ghwebhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"
)

// Path is where the receiver takes GitHub's deliveries: the payload URL of
// the organization's webhook ends with it.
const Path = "/github/webhook"

// Delivery headers GitHub sends
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers).
const (
	headerEvent     = "X-GitHub-Event"
	headerDelivery  = "X-GitHub-Delivery"
	headerSignature = "X-Hub-Signature-256"
)

// repositoryActions are the actions of the repository event
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#repository).
// Each can mean that a managed repository no longer matches its spec, or
// that a GitHubRepo waiting for a name can go on, so each triggers.
var repositoryActions = map[string]bool{
	"archived": true, "created": true, "deleted": true, "edited": true, "privatized": true,
	"publicized": true, "renamed": true, "transferred": true, "unarchived": true,
}

// matcher finds the GitHubRepos of a repository (index.match).
type matcher interface {
	match(repo repository, action string) (targets, mismatched []target, err error)
}

// handler answers GitHub's deliveries. Every refusal is a JSON body
// {"error": "..."}, every acceptance {"status": "..."}.
type handler struct {
	secrets func() ([][]byte, error)
	seen    *deliveries
	index   matcher
	trigger triggerer
	// ready reports whether the index is filled: before that, a delivery
	// would find nothing and be lost.
	ready   func() bool
	maxBody int64
	// timeout bounds the annotating of one delivery's GitHubRepos; GitHub
	// gives up on a delivery after 10 s.
	timeout time.Duration
	metrics *metrics
	log     *slog.Logger
}

// answer is what the handler replies and counts.
type answer struct {
	status  int
	body    any
	event   string
	action  string
	outcome string
}

func refuse(status int, outcome, format string, args ...any) answer {
	return answer{status: status, body: map[string]string{"error": fmt.Sprintf(format, args...)},
		event: labelUnknown, action: labelUnknown, outcome: outcome}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Given w, the limit also makes the server close the connection of an
	// oversized body instead of reading the rest of it.
	r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
	a := h.handle(r)
	h.metrics.delivery(a.event, a.action, a.outcome)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if a.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	w.WriteHeader(a.status)
	if err := json.NewEncoder(w).Encode(a.body); err != nil {
		h.log.Debug("write answer", "err", err)
	}
}

// handle checks the cheap things first and the signature before anything
// the request says is believed.
func (h *handler) handle(r *http.Request) answer {
	if r.Method != http.MethodPost {
		return refuse(http.StatusMethodNotAllowed, outcomeBadRequest, "GitHub deliveries are POSTed to %s", Path)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return refuse(http.StatusUnsupportedMediaType, outcomeUnsupported,
			"Content-Type %q is not application/json: set the webhook's content type to application/json", r.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return refuse(http.StatusRequestEntityTooLarge, outcomeTooLarge, "the payload is larger than %d bytes", h.maxBody)
	case err != nil:
		return refuse(http.StatusBadRequest, outcomeBadRequest, "read the payload: %v", err)
	}
	secrets, err := h.secrets()
	if err != nil {
		h.log.Error("no webhook secret: every delivery is refused", "err", err)
		return refuse(http.StatusServiceUnavailable, outcomeUnavailable, "the receiver cannot read its webhook secret")
	}
	if sig := r.Header.Get(headerSignature); !validSignature(body, sig, secrets) {
		h.log.Warn("delivery refused: bad signature", "delivery", r.Header.Get(headerDelivery), "signed", sig != "", "remote", r.RemoteAddr)
		return refuse(http.StatusUnauthorized, outcomeUnauthorized,
			"missing or invalid %s: the webhook must be configured with the receiver's secret", headerSignature)
	}
	return h.signed(r.Context(), r.Header.Get(headerEvent), r.Header.Get(headerDelivery), body)
}

// signed handles a delivery whose signature is good.
func (h *handler) signed(ctx context.Context, event, guid string, body []byte) answer {
	if event == "" || guid == "" {
		return refuse(http.StatusBadRequest, outcomeBadRequest, "missing %s or %s header", headerEvent, headerDelivery)
	}
	switch event {
	case "ping":
		h.log.Info("ping from GitHub", "delivery", guid)
		return answer{status: http.StatusOK, body: map[string]string{"status": "pong"}, event: event, action: labelNone, outcome: outcomePong}
	case "repository":
		return h.repositoryEvent(ctx, guid, body)
	}
	h.log.Debug("event ignored", "delivery", guid, "event", event)
	return answer{status: http.StatusAccepted, body: map[string]string{"status": "ignored", "reason": "only repository events concern GitHubRepos"},
		event: labelOther, action: labelUnknown, outcome: outcomeIgnored}
}

// payload is the part of a repository event the receiver reads.
type payload struct {
	Action     string `json:"action"`
	Repository *struct {
		ID       int64  `json:"id"`
		NodeID   string `json:"node_id"`
		FullName string `json:"full_name"`
		URL      string `json:"url"`
	} `json:"repository"`
}

func (h *handler) repositoryEvent(ctx context.Context, guid string, body []byte) answer {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil || p.Repository == nil {
		a := refuse(http.StatusBadRequest, outcomeBadRequest, "the payload is not a repository event: %v", errOrMissing(err))
		a.event = "repository"
		return a
	}
	a := answer{event: "repository", action: p.Action}
	if !repositoryActions[p.Action] {
		a.action = labelOther
		a.status, a.outcome = http.StatusAccepted, outcomeIgnored
		a.body = map[string]string{"status": "ignored", "reason": fmt.Sprintf("action %q needs no sync", p.Action)}
		return a
	}
	if !h.ready() {
		a.status, a.outcome = http.StatusServiceUnavailable, outcomeUnavailable
		a.body = map[string]string{"error": "the receiver has not read the GitHubRepos yet"}
		return a
	}
	if !h.seen.claim(guid) {
		h.log.Info("delivery already handled: nothing triggered", "delivery", guid, "action", p.Action, "repository", p.Repository.FullName)
		a.status, a.outcome = http.StatusOK, outcomeDuplicate
		a.body = map[string]any{"status": "duplicate", "triggered": 0}
		return a
	}
	repo := repository{host: apiHost(p.Repository.URL), id: p.Repository.ID, nodeID: p.Repository.NodeID, fullName: p.Repository.FullName}
	return h.triggerAll(ctx, guid, repo, a)
}

// triggerAll annotates every GitHubRepo of repo. The delivery fails only
// when none could be annotated; its GUID is then forgotten, so that
// redelivering it by hand from GitHub works.
func (h *handler) triggerAll(ctx context.Context, guid string, repo repository, a answer) answer {
	log := h.log.With("delivery", guid, "action", a.action, "repository", repo.fullName, "host", repo.host, "repository_id", repo.id)
	targets, mismatched, err := h.index.match(repo, a.action)
	for _, t := range mismatched {
		log.Warn("GitHubRepo left alone: it records another node id for this repository id", "namespace", t.Namespace, "name", t.Name)
	}
	if err != nil {
		h.seen.forget(guid)
		log.Error("look up GitHubRepos", "err", err)
		a.status, a.outcome, a.body = http.StatusInternalServerError, outcomeFailed, map[string]string{"error": "the GitHubRepos could not be looked up"}
		return a
	}
	if len(targets) == 0 {
		log.Debug("no GitHubRepo manages the repository")
		a.status, a.outcome, a.body = http.StatusOK, outcomeUnmatched, map[string]any{"status": "unmatched", "triggered": 0}
		return a
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	var done []string
	for _, t := range targets {
		if err := h.trigger.trigger(ctx, t, guid); err != nil {
			h.metrics.failures.Inc()
			log.Error("GitHubRepo not triggered", "namespace", t.Namespace, "name", t.Name, "err", err)
			continue
		}
		h.metrics.triggered.Inc()
		done = append(done, t.Namespace+"/"+t.Name)
		log.Info("GitHubRepo triggered", "namespace", t.Namespace, "name", t.Name, "by", t.By)
	}
	if len(done) == 0 {
		h.seen.forget(guid)
		a.status, a.outcome = http.StatusServiceUnavailable, outcomeFailed
		a.body = map[string]string{"error": fmt.Sprintf("none of the %d GitHubRepos of the repository could be annotated; they sync at their next resync", len(targets))}
		return a
	}
	a.status, a.outcome = http.StatusOK, outcomeTriggered
	a.body = map[string]any{"status": "triggered", "triggered": len(done), "githubrepos": done}
	return a
}

func errOrMissing(err error) error {
	if err != nil {
		return err
	}
	return errors.New("no repository in it")
}
