package fake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	docRoot         = "https://docs.github.com/rest"
	docRedirect     = "https://docs.github.com/v3/#http-redirects"
	docGetRepo      = "https://docs.github.com/rest/repos/repos#get-a-repository"
	docUpdateRepo   = "https://docs.github.com/rest/repos/repos#update-a-repository"
	docCreateOrg    = "https://docs.github.com/rest/repos/repos#create-an-organization-repository"
	docCreateUser   = "https://docs.github.com/rest/repos/repos#create-a-repository-for-the-authenticated-user"
	docTopics       = "https://docs.github.com/rest/repos/repos#replace-all-repository-topics"
	docDeleteRepo   = "https://docs.github.com/rest/repos/repos#delete-a-repository"
	docRenameBranch = "https://docs.github.com/rest/branches/branches#rename-a-branch"
	docPrimaryLimit = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
	// docRateLimitStatus is where an Enterprise Server without rate
	// limiting points a client that asks for its rate limit.
	docRateLimitStatus = "https://docs.github.com/enterprise-server@latest/rest/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user"
	// go-github recognises a secondary limit by this suffix.
	docSecondaryLimit = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// reply is a response worked out under the lock and written after it, since
// writing the status takes the lock again to settle the rate limit.
type reply struct {
	status   int
	body     any // nil for no body
	location string
	modified time.Time
	header   http.Header // extra headers, such as X-GitHub-SSO
}

// apiError is GitHub's error body. Errors holds fieldError values, or plain
// strings where GitHub sends those (topics).
type apiError struct {
	Message          string `json:"message"`
	Errors           []any  `json:"errors,omitempty"`
	DocumentationURL string `json:"documentation_url"`
}

type fieldError struct {
	Resource string `json:"resource"`
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message,omitempty"`
}

func errReply(status int, msg, doc string, errs ...any) reply {
	return reply{status: status, body: apiError{Message: msg, Errors: errs, DocumentationURL: doc}}
}

func notFound(doc string) reply { return errReply(http.StatusNotFound, "Not Found", doc) }

// serve runs fn under the lock and writes what it returns. The credential
// is checked again because a Reset since authentication may have dropped
// it, or time may have expired it. An App's JWT is good only for the /app
// endpoints: elsewhere it is "Bad credentials", as GitHub answers it.
func (s *Server) serve(fn func(*http.Request, *call) reply) http.HandlerFunc {
	return s.serveAs(false, fn)
}

func (s *Server) serveAs(appOnly bool, fn func(*http.Request, *call) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r)
		s.mu.Lock()
		res := s.st.authenticate(c.token, s.now())
		var rep reply
		switch {
		case res.fail != nil:
			rep = *res.fail
		case appOnly && res.app == nil:
			rep = errReply(http.StatusUnauthorized, msgJWTUndecodable, docRoot)
		case !appOnly && res.app != nil:
			rep = errReply(http.StatusUnauthorized, "Bad credentials", docRoot)
		default:
			c.itok, c.app = res.itok, res.app
			rep = fn(r, c)
		}
		s.mu.Unlock()
		s.write(w, r, rep)
	}
}

// write sends a reply; a 200 to a GET carries an ETag derived from the body
// and the token, and becomes a 304 when If-None-Match has it.
func (s *Server) write(w http.ResponseWriter, r *http.Request, rep reply) {
	h := w.Header()
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Request-Id", requestID(callFrom(r)))
	if rep.location != "" {
		h.Set("Location", rep.location)
	}
	for k, vs := range rep.header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	body, err := json.Marshal(rep.body)
	if err != nil {
		rep.status, body = http.StatusInternalServerError, []byte(`{"message":"Server Error"}`)
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	if rep.status == http.StatusOK || rep.status == http.StatusCreated {
		etag := etagOf(body, callFrom(r).token)
		h.Set("ETag", etag)
		h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
		h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
		if !rep.modified.IsZero() {
			h.Set("Last-Modified", rep.modified.UTC().Format(http.TimeFormat))
		}
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && rep.status == http.StatusOK && etagMatch(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rep.status)
	_, _ = w.Write(body)
}

// etagMatch compares weakly, as If-None-Match requires.
func etagMatch(header, etag string) bool {
	opaque := strings.TrimPrefix(etag, "W/")
	for candidate := range strings.SplitSeq(header, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || strings.TrimPrefix(candidate, "W/") == opaque {
			return true
		}
	}
	return false
}

// etagOf differs per token as well as per body, because GitHub's ETags are
// specific to the token that read the resource: another token's ETag never
// gets a 304.
func etagOf(body []byte, token string) string {
	h := sha256.New()
	h.Write(body)
	h.Write([]byte{0})
	h.Write([]byte(token))
	return `W/"` + hex.EncodeToString(h.Sum(nil)) + `"`
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// fingerprint names a token in the request log without revealing it.
func fingerprint(token string) string { return digest([]byte(token))[:8] }

// decodeBody reads a JSON request body the way GitHub reports problems:
// 400 for malformed JSON, 422 for a value of the wrong type. No body at all
// counts as {}.
func decodeBody(r *http.Request, v any, doc string) (reply, bool) {
	err := json.NewDecoder(r.Body).Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return reply{}, true
	case errors.As(err, &typeErr):
		msg := fmt.Sprintf("Invalid request.\n\nFor 'properties/%s', %s is not a %s.", typeErr.Field, typeErr.Value, typeErr.Type)
		return errReply(http.StatusUnprocessableEntity, msg, doc), false
	default:
		return errReply(http.StatusBadRequest, "Problems parsing JSON", doc), false
	}
}
