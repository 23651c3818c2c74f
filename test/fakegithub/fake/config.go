package fake

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"time"
)

// Role is a user's role in an organization.
type Role string

const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// User is a personal account.
type User struct {
	Login string `json:"login"`
	ID    int64  `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// DefaultBranch names the first branch of the repositories created
	// for the account; empty is "main", as on GitHub.
	DefaultBranch string `json:"default_branch,omitempty"`
}

// Org is an organization and its members.
type Org struct {
	Login string `json:"login"`
	ID    int64  `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	// Members maps a user's login to their role; users named here but not
	// listed elsewhere are created.
	Members map[string]Role `json:"members,omitempty"`
	// MembersCanCreateRepos mirrors the organization setting of the same
	// name; nil means true, as on GitHub. Admins can always create.
	MembersCanCreateRepos *bool `json:"members_can_create_repositories,omitempty"`
	// MembersCanDeleteRepos mirrors members_can_delete_repositories; nil
	// means true. When false only organization admins can delete
	// repositories, even ones members administer.
	MembersCanDeleteRepos *bool `json:"members_can_delete_repositories,omitempty"`
	// MembersCanChangeRepoVisibility mirrors
	// members_can_change_repo_visibility; nil means true. When false only
	// organization owners can change a repository's visibility: anyone
	// else, a GitHub App included, gets 422 "Visibility can't be changed by
	// this user."
	MembersCanChangeRepoVisibility *bool `json:"members_can_change_repo_visibility,omitempty"`
	// SAMLEnforced makes members' tokens useless for the organization's
	// resources until authorized for it (Config.TokenSSO): they get 403
	// with X-GitHub-SSO. Public repositories stay readable. Installation
	// tokens are not subject to SAML SSO.
	SAMLEnforced bool `json:"saml_enforced,omitempty"`
	// DefaultBranch names the first branch of the organization's new
	// repositories, whoever creates them; empty is "main".
	DefaultBranch string `json:"default_branch,omitempty"`
	// Properties define the custom properties of the organization's
	// repositories.
	Properties []PropertyDef `json:"properties,omitempty"`
	// AdvancedSecurity is whether the organization has a GitHub Advanced
	// Security licence, which its private and internal repositories need
	// for advanced security and secret scanning. Public repositories have
	// secret scanning free; user accounts have no licence.
	AdvancedSecurity bool `json:"advanced_security,omitempty"`
	// MembersCanForkPrivateRepos mirrors
	// members_can_fork_private_repositories; nil means false, GitHub's
	// default for a new organization. While it is false, a private or
	// internal repository can't be forked, and setting its allow_forking
	// is refused.
	MembersCanForkPrivateRepos *bool `json:"members_can_fork_private_repositories,omitempty"`
}

// Custom property value types, as GitHub names them.
const (
	PropertyString       = "string"
	PropertySingleSelect = "single_select"
	PropertyMultiSelect  = "multi_select"
	PropertyTrueFalse    = "true_false"
	PropertyURL          = "url"
)

// PropertyDef is an organization's custom property definition.
type PropertyDef struct {
	Name      string `json:"property_name"`
	ValueType string `json:"value_type"`
	// Required properties have a value on every repository: the one it
	// was created with, or else DefaultValue. Without a DefaultValue,
	// creating a repository without a value fails.
	Required bool `json:"required,omitempty"`
	// DefaultValue is a string, or a []string for multi_select; nil for
	// none.
	DefaultValue any `json:"default_value,omitempty"`
	// AllowedValues are the choices of single_select and multi_select.
	AllowedValues []string `json:"allowed_values,omitempty"`
}

// Config is what a fake starts with and returns to on Reset.
type Config struct {
	// Tokens maps a token to the login of the user it authenticates;
	// unknown logins are created as users.
	Tokens map[string]string `json:"tokens,omitempty"`
	Users  []User            `json:"users,omitempty"`
	Orgs   []Org             `json:"orgs,omitempty"`
	// Repos are created in order; an ID of 0 is assigned.
	Repos []Repo `json:"repos,omitempty"`
	// FirstRepoID is where repository ids start (after it); 0 is 1000.
	// Two fakes with the same FirstRepoID give out the same ids, and so
	// the same node ids, as two GitHub instances do. Seed ignores it.
	FirstRepoID int64 `json:"first_repo_id,omitempty"`
	// TokenRepos limits tokens, as a fine-grained token is limited to
	// selected repositories, to the repositories named (owner/name).
	// Tokens not listed reach whatever their user can.
	TokenRepos map[string][]string `json:"token_repos,omitempty"`
	// TokenScopes makes tokens classic ones with these scopes: answers to
	// them carry X-OAuth-Scopes, and deleting a repository needs
	// delete_repo. Tokens not listed have every scope.
	TokenScopes map[string][]string `json:"token_scopes,omitempty"`
	// TokenSSO lists, per token, the organizations enforcing SAML SSO that
	// the token is authorized for. A token not authorized for such an
	// organization gets 403 with X-GitHub-SSO for its resources.
	TokenSSO map[string][]string `json:"token_sso,omitempty"`
	// Apps are GitHub Apps and their installations. An App authenticates
	// with a JWT signed by its private key; its installation access tokens
	// act as its bot user, "<slug>[bot]".
	Apps []App `json:"apps,omitempty"`
}

// App is a GitHub App registration.
type App struct {
	// ID is the App ID, which a JWT's iss may name (as a number or a
	// string of digits).
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name,omitempty"`
	// ClientID is the client ID ("Iv23li..."), which a JWT's iss may name
	// instead of the App ID; empty gives the App none.
	ClientID string `json:"client_id,omitempty"`
	// Owner is the login of the account that registered the App; empty
	// shows none.
	Owner string `json:"owner,omitempty"`
	// PublicKey is the PEM of the App's public key, which verifies its
	// JWTs (NewAppKey makes a pair). Key, if set, is used instead.
	PublicKey string         `json:"public_key,omitempty"`
	Key       *rsa.PublicKey `json:"-"`
	// Installations are the accounts that installed the App.
	Installations []Installation `json:"installations,omitempty"`
}

// Repository selections of an installation, as GitHub names them.
const (
	SelectionAll      = "all"
	SelectionSelected = "selected"
)

// Installation is an App installed on an organization or a user.
type Installation struct {
	ID int64 `json:"id"`
	// Account is the login of the organization or user it is installed on.
	Account string `json:"account"`
	// RepositorySelection is SelectionAll (default) or SelectionSelected.
	RepositorySelection string `json:"repository_selection,omitempty"`
	// Repositories (owner/name) are the ones selected.
	Repositories []string `json:"repositories,omitempty"`
	// Permissions map a permission to "read", "write" or "admin", e.g.
	// "administration": "write". Metadata read is always granted.
	Permissions map[string]string `json:"permissions,omitempty"`
	Suspended   bool              `json:"suspended,omitempty"`
}

func (c Config) firstRepoID() int64 {
	if c.FirstRepoID == 0 {
		return 1000
	}
	return c.FirstRepoID
}

// DefaultConfig is token "fake-token" for user octocat, admin of org acme.
// The Metacontroller fixtures' Secret holds "ghp_exampletoken", which works
// for octocat too. Acme defines the optional string property
// hookops-claim, where the operator records which GitHubRepo owns a
// repository.
func DefaultConfig() Config {
	return Config{
		Tokens: map[string]string{"fake-token": "octocat", "ghp_exampletoken": "octocat"},
		Users:  []User{{Login: "octocat", Name: "The Octocat"}},
		Orgs: []Org{{
			Login: "acme", Name: "Acme", Members: map[string]Role{"octocat": RoleAdmin},
			Properties: []PropertyDef{{Name: "hookops-claim", ValueType: PropertyString}},
		}},
	}
}

// LoadConfig decodes a JSON config. Repos start from NewRepo's defaults, so
// a file only lists what differs from a freshly created repository.
func LoadConfig(data []byte) (Config, error) {
	var raw struct {
		Config
		Repos []json.RawMessage `json:"repos"`
	}
	if err := decodeStrict(data, &raw); err != nil {
		return Config{}, fmt.Errorf("decode config: %w", err)
	}
	cfg := raw.Config
	cfg.Repos = nil
	for i, msg := range raw.Repos {
		r, err := decodeRepo(msg)
		if err != nil {
			return Config{}, fmt.Errorf("decode repos[%d]: %w", i, err)
		}
		cfg.Repos = append(cfg.Repos, r)
	}
	return cfg, nil
}

func decodeRepo(data []byte) (Repo, error) {
	r := NewRepo("", "")
	if err := decodeStrict(data, &r); err != nil {
		return Repo{}, err
	}
	return r, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// Repo is a repository as the fake stores it. JSON names follow GitHub's.
type Repo struct {
	ID             int64    `json:"id"`
	Owner          string   `json:"owner"`
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Homepage       string   `json:"homepage"`
	Visibility     string   `json:"visibility"` // public, private or internal
	Topics         []string `json:"topics"`
	HasIssues      bool     `json:"has_issues"`
	HasProjects    bool     `json:"has_projects"`
	HasWiki        bool     `json:"has_wiki"`
	HasDiscussions bool     `json:"has_discussions"`
	HasDownloads   bool     `json:"has_downloads"`
	IsTemplate     bool     `json:"is_template"`
	Archived       bool     `json:"archived"`
	DefaultBranch  string   `json:"default_branch"`
	// Branches that exist: empty until something is pushed, which is why
	// default_branch can't be changed on a fresh repository.
	Branches []string `json:"branches"`
	// License is a license key such as "mit"; empty for none.
	License string `json:"license,omitempty"`
	// CreatedBy gets admin rights on an organization repository it created,
	// as on GitHub.
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	PushedAt  time.Time `json:"pushed_at"`
	// Stars is stargazers_count, which Touch moves.
	Stars int `json:"stargazers_count,omitempty"`
	// CustomProperties are the values set for the owning organization's
	// custom properties: a string, or a []string for multi_select.
	CustomProperties map[string]any `json:"custom_properties,omitempty"`
	// Variables are the repository's Actions variables, names in upper
	// case.
	Variables []Variable `json:"variables,omitempty"`
	// TemplateID is the template repository this one was generated from;
	// 0 for none.
	TemplateID int64 `json:"template_id,omitempty"`
	// Security is what GitHub reports in security_and_analysis, to the
	// repository's admins only.
	Security Security `json:"security_and_analysis"`
	// VulnerabilityAlerts is whether Dependabot alerts are on; the
	// repository's body does not show it, only
	// GET /repos/{owner}/{repo}/vulnerability-alerts does.
	VulnerabilityAlerts bool `json:"vulnerability_alerts,omitempty"`
	MergeSettings
}

// Variable is an Actions variable of a repository.
type Variable struct {
	Name      string    `json:"name"`
	Value     string    `json:"value"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewRepo is a repository with GitHub's defaults for a new, empty one.
func NewRepo(owner, name string) Repo {
	return Repo{
		Owner:        owner,
		Name:         name,
		Visibility:   "public",
		HasIssues:    true,
		HasProjects:  true,
		HasWiki:      true,
		HasDownloads: true,
	}
}

// Private reports whether the repository is not public.
func (r Repo) Private() bool { return r.Visibility != "public" }

// FullName is owner/name.
func (r Repo) FullName() string { return r.Owner + "/" + r.Name }

func (r Repo) clone() Repo {
	r.Topics = append([]string(nil), r.Topics...)
	r.Branches = append([]string(nil), r.Branches...)
	r.Variables = append([]Variable(nil), r.Variables...)
	r.MergeSettings = r.MergeSettings.clone()
	if r.CustomProperties != nil {
		props := make(map[string]any, len(r.CustomProperties))
		for k, v := range r.CustomProperties {
			props[k] = cloneValue(v)
		}
		r.CustomProperties = props
	}
	return r
}

// cloneValue copies a property value, so that a []string isn't shared; a
// []any, as JSON decodes a list, becomes a []string.
func cloneValue(v any) any {
	switch list := v.(type) {
	case []string:
		return append([]string(nil), list...)
	case []any:
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return v
			}
			out = append(out, s)
		}
		return out
	}
	return v
}
