package githubrepo

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// writeMargin is the time a GitHub write needs before the hook's deadline;
// a write that could not start earlier is left for the next call.
const writeMargin = 2 * time.Second

// Sync brings the repository in line with the GitHubRepo. Trouble with
// GitHub or the credentials is reported in the status of a 200 response,
// with a computed resyncAfterSeconds: a non-200 would make Metacontroller
// drop the status.
func (h *Hooks) Sync(ctx context.Context, req *metacontroller.CompositeRequest) (*metacontroller.CompositeResponse, error) {
	repo, err := decodeParent(req.Parent)
	if err != nil {
		return nil, err
	}
	id := knownRepoID(repo, req.Children)
	o := h.reconcile(ctx, repo, id, req.Related)
	st, resync := h.buildStatus(repo, o)
	resp := &metacontroller.CompositeResponse{Status: st, ResyncAfterSeconds: resync.Seconds()}
	if st.RepoID != 0 {
		resp.Children = []metacontroller.Object{record(repo, &st)}
	}
	h.logOutcome(ctx, repo, "sync", o)
	return resp, nil
}

// reconcile is observe, then create or update.
func (h *Hooks) reconcile(ctx context.Context, repo *v1.GitHubRepo, id int64, related metacontroller.ObjectMap) outcome {
	if f := validate(repo); f != nil {
		return outcome{fail: f}
	}
	o, _ := h.withSession(ctx, repo, related, func(ctx context.Context, s *session) (outcome, bool) {
		return s.run(ctx, id), false
	})
	return o
}

// withSession runs fn against GitHub once the credentials are read and the
// rate-limit and backoff gates let it through, and records the rate limit
// GitHub reported. fn's bool says whether the work is finished.
func (h *Hooks) withSession(ctx context.Context, repo *v1.GitHubRepo, related metacontroller.ObjectMap, fn func(context.Context, *session) (outcome, bool)) (outcome, bool) {
	creds, f := readCredentials(repo, related)
	if f != nil {
		return outcome{fail: f}, false
	}
	if f := h.rateGate(repo); f != nil {
		return outcome{fail: f}, false
	}
	if wait := h.backoffGate(repo); wait > 0 {
		return outcome{wait: wait}, false
	}
	gh, err := h.newGitHub(creds)
	if err != nil {
		return outcome{fail: fail(v1.ReasonInvalidSpec, "%s", err)}, false
	}
	ctx, cancel := context.WithTimeout(ctx, h.GitHubTimeout)
	defer cancel()
	o, done := fn(ctx, &session{h: h, gh: gh, creds: creds, repo: repo})
	o.rate = gh.rate
	h.recordRate(creds, gh.rate)
	return o, done
}

// rateGate keeps a credential whose primary budget is spent away from
// GitHub until the budget resets.
func (h *Hooks) rateGate(repo *v1.GitHubRepo) *failure {
	rl := repo.Status.RateLimit
	if rl == nil || rl.Remaining > 0 || !rl.Reset.After(h.Now()) {
		return nil
	}
	return &failure{reason: v1.ReasonRateLimited, resetAt: rl.Reset.Time,
		message: fmt.Sprintf("GitHub's rate limit for this token is spent; nothing is sent to GitHub until it resets at %s", rl.Reset.UTC().Format(time.RFC3339))}
}

// backoffGate holds GitHub calls back until status.retryTime after a
// failure: Metacontroller also syncs on its resync period and on events,
// and those calls must not undo the backoff. A spec change retries at once.
func (h *Hooks) backoffGate(repo *v1.GitHubRepo) time.Duration {
	st := &repo.Status
	if st.ConsecutiveFailures == 0 || st.RetryTime == nil || repo.Generation != st.ObservedGeneration {
		return 0
	}
	return st.RetryTime.Sub(h.Now())
}

// session is one sync's conversation with GitHub.
type session struct {
	h     *Hooks
	gh    *gitHub
	creds credentials
	repo  *v1.GitHubRepo
}

func (s *session) run(ctx context.Context, id int64) outcome {
	obs := s.observe(ctx, id)
	switch obs.decision {
	case decideUpToDate:
		return outcome{etag: obs.etag}
	case decideFail:
		return outcome{fail: obs.fail}
	case decideCreate:
		return s.create(ctx, obs.note)
	}
	return s.update(ctx, obs.repo, obs.etag, obs.note)
}

// The decisions observe can take.
const (
	decideUpToDate = "up-to-date" // a 304: nothing changed on GitHub or in the spec
	decideUpdate   = "update"
	decideAdopt    = "adopt"
	decideCreate   = "create"
	decideFail     = "fail"
)

type observation struct {
	decision string
	repo     *github.Repository
	etag     string
	note     string
	fail     *failure
}

// observe reads the repository: by id once one is recorded (conditionally,
// so an unchanged repository costs no rate limit), else by name.
func (s *session) observe(ctx context.Context, id int64) (obs observation) {
	ctx, span := tracer().Start(ctx, "observe", trace.WithAttributes(attribute.Int64("github.repo.id", id)))
	defer func() { endStep(span, obs.decision, obs.fail) }()
	owner, name := s.repo.Spec.Owner, repoName(s.repo)
	var note string
	if id != 0 {
		etag := ""
		if syncedAt(s.repo) && s.repo.Status.RepoID == id {
			etag = s.repo.Status.ETag
		}
		current, newETag, notModified, err := s.gh.getByID(ctx, id, etag)
		switch {
		case notModified:
			return observation{decision: decideUpToDate, etag: newETag}
		case err == nil:
			return observation{decision: decideUpdate, repo: current, etag: newETag}
		case !isNotFound(err):
			return observation{decision: decideFail, fail: classify(err, "read the repository")}
		}
		note = fmt.Sprintf("re-created: repository id %d was deleted on GitHub", id)
	}

	existing, etag, err := s.gh.getByName(ctx, owner, name)
	if err != nil && !isNotFound(err) {
		return observation{decision: decideFail, fail: classify(err, "look up "+owner+"/"+name)}
	}
	if existing == nil {
		return observation{decision: decideCreate, note: note}
	}
	if !s.repo.Spec.AdoptExisting {
		return observation{decision: decideFail, fail: fail(v1.ReasonAlreadyExists,
			"repository %s/%s already exists and this GitHubRepo did not create it; nothing was changed. Set spec.adoptExisting: true to manage it, or choose another spec.name", owner, name)}
	}
	return observation{decision: decideAdopt, repo: existing, etag: etag, note: "adopted an existing repository"}
}

// create makes the repository under the owner's organization or user
// account, with the create-only init settings, then applies what creation
// cannot set (topics, archived, default branch).
func (s *session) create(ctx context.Context, note string) outcome {
	o := s.createRepo(ctx, note)
	if o.fail != nil || o.pending > 0 {
		return o
	}
	return s.update(ctx, o.repo, "", o.note)
}

func (s *session) createRepo(ctx context.Context, note string) (o outcome) {
	ctx, span := tracer().Start(ctx, "create")
	defer func() { endStep(span, decideCreate, o.fail) }()
	spec := &s.repo.Spec
	org, err := s.gh.ownerIsOrg(ctx, spec.Owner)
	if isNotFound(err) {
		return outcome{fail: fail(v1.ReasonOwnerNotFound, "GitHub has no user or organization %q: check spec.owner", spec.Owner)}
	}
	if err != nil {
		return outcome{fail: classify(err, "look up owner "+spec.Owner)}
	}
	orgName := ""
	if org {
		orgName = spec.Owner
	} else if login, err := s.gh.login(ctx); err != nil {
		return outcome{fail: classify(err, "identify the token's user")}
	} else if !strings.EqualFold(login, spec.Owner) {
		return outcome{fail: fail(v1.ReasonForbidden,
			"spec.owner %q is a user account, but the token belongs to %q: a token can only create repositories in its own account or in organizations", spec.Owner, login)}
	}
	if spec.Visibility != nil && *spec.Visibility == v1.Internal && !org {
		return outcome{fail: fail(v1.ReasonInvalidSpec, "visibility internal exists only for organization repositories; %q is a user", spec.Owner)}
	}
	done, wait, ok := s.pace(ctx)
	if !ok {
		return outcome{pending: wait}
	}
	created, err := s.gh.create(ctx, orgName, createRequest(s.repo))
	done()
	if statusCode(err) == 422 && strings.Contains(strings.ToLower(err.Error()), "already exists") {
		return outcome{fail: fail(v1.ReasonAlreadyExists,
			"repository %s/%s was created by someone else at the same time; nothing was changed. Set spec.adoptExisting: true to manage it, or choose another spec.name", spec.Owner, repoName(s.repo))}
	}
	if err != nil {
		return outcome{fail: classify(err, "create the repository")}
	}
	if note == "" {
		note = "created"
	}
	return outcome{repo: created, note: note}
}

func createRequest(r *v1.GitHubRepo) *github.Repository {
	s := &r.Spec
	req := &github.Repository{Name: github.String(repoName(r)), Description: s.Description, Homepage: s.Homepage}
	if s.Visibility != nil {
		req.Visibility = github.String(string(*s.Visibility))
		req.Private = github.Bool(*s.Visibility != v1.Public)
	}
	if f := s.Features; f != nil {
		req.HasIssues, req.HasWiki, req.HasProjects, req.HasDiscussions = f.Issues, f.Wiki, f.Projects, f.Discussions
	}
	if in := s.Init; in != nil {
		req.AutoInit, req.GitignoreTemplate, req.LicenseTemplate = in.AutoInit, in.GitignoreTemplate, in.LicenseTemplate
	}
	return req
}

// update applies the plan, one paced write at a time, each its own span.
// After a write the ETag is dropped, so that the next sync reads the
// repository in full.
func (s *session) update(ctx context.Context, current *github.Repository, etag, note string) outcome {
	p := diff(&s.repo.Spec, repoName(s.repo), current)
	if p.empty() {
		return outcome{repo: current, etag: etag, note: note}
	}
	if current.GetArchived() && !p.unarchive && (p.patch != nil || p.topics != nil || p.defaultBranch != nil) {
		return outcome{repo: current, etag: etag, fail: fail(v1.ReasonInvalidSpec,
			"repository %s is archived on GitHub, so it is read-only: set spec.archived: false to unarchive it and apply the spec", current.GetFullName())}
	}
	o := outcome{repo: current, note: note}
	edit := func(patch *github.Repository) func(context.Context, string, string) (*github.Repository, error) {
		return func(ctx context.Context, owner, name string) (*github.Repository, error) {
			return s.gh.edit(ctx, owner, name, patch)
		}
	}
	steps := []struct {
		needed     bool
		span, what string
		write      func(ctx context.Context, owner, name string) (*github.Repository, error)
		explain    func(err error) *failure // a clearer failure than classify's, or nil
	}{
		{p.unarchive, "unarchive", "unarchive the repository", edit(&github.Repository{Archived: github.Bool(false)}), nil},
		{p.patch != nil, updateSpanName(p.patch), "update the repository", edit(p.patch), nil},
		{p.topics != nil, "topics", "replace the topics", func(ctx context.Context, owner, name string) (*github.Repository, error) {
			if err := s.gh.replaceTopics(ctx, owner, name, *p.topics); err != nil {
				return nil, err
			}
			r := *o.repo
			r.Topics = *p.topics
			return &r, nil
		}, nil},
		{p.defaultBranch != nil, "default-branch", "set the default branch", edit(&github.Repository{DefaultBranch: p.defaultBranch}), func(err error) *failure {
			if statusCode(err) != http.StatusUnprocessableEntity {
				return nil
			}
			return fail(v1.ReasonInvalidSpec, "branch %q does not exist in %s yet; the default branch is set once the branch has been pushed", *p.defaultBranch, current.GetFullName())
		}},
		{p.archive, "archive", "archive the repository", edit(&github.Repository{Archived: github.Bool(true)}), nil},
	}
	for _, step := range steps {
		if !step.needed {
			continue
		}
		done, wait, ok := s.pace(ctx)
		if !ok {
			o.pending = wait
			return o
		}
		stepCtx, span := tracer().Start(ctx, step.span)
		updated, err := step.write(stepCtx, o.repo.GetOwner().GetLogin(), o.repo.GetName())
		done()
		if err != nil {
			o.fail = classify(err, step.what)
			if step.explain != nil {
				if f := step.explain(err); f != nil {
					o.fail = f
				}
			}
			endStep(span, step.span, o.fail)
			return o
		}
		endStep(span, step.span, nil)
		o.repo = updated
	}
	return o
}

// updateSpanName calls a PATCH that changes the name a rename.
func updateSpanName(patch *github.Repository) string {
	if patch != nil && patch.Name != nil {
		return "rename"
	}
	return "update"
}

// pace waits for the token's turn to write.
func (s *session) pace(ctx context.Context) (done func(), retryAfter time.Duration, ok bool) {
	return s.h.Pacer.Acquire(ctx, s.creds.id(), writeMargin)
}

func (h *Hooks) logOutcome(ctx context.Context, repo *v1.GitHubRepo, hook string, o outcome) {
	attrs := []any{"hook", hook, "namespace", repo.Namespace, "name", repo.Name, "generation", repo.Generation}
	switch {
	case o.fail != nil:
		h.Log.WarnContext(ctx, "reconcile failed", append(attrs, "reason", o.fail.reason, "message", o.fail.message)...)
	case o.pending > 0:
		h.Log.InfoContext(ctx, "reconcile paced", append(attrs, "retry_after", o.pending)...)
	default:
		h.Log.DebugContext(ctx, "reconciled", append(attrs, "note", o.note)...)
	}
}
