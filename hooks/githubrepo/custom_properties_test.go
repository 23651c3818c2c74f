package githubrepo_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

// propsConfig: acme defines, besides hookops' claim property, one custom
// property of each kind the tests set, notes, which no spec names, and
// cost-center, which it requires without a default: every repository must
// be created with a value, or GitHub refuses the create ("Property '...'
// requires an explicit value to be set",
// https://github.com/integrations/terraform-provider-github/issues/3304).
// https://docs.github.com/rest/orgs/custom-properties
func propsConfig() fake.Config {
	cfg := fake.DefaultConfig()
	cfg.Orgs[0].Properties = append(cfg.Orgs[0].Properties,
		fake.PropertyDef{Name: "team", ValueType: fake.PropertyString},
		fake.PropertyDef{Name: "tier", ValueType: fake.PropertySingleSelect, AllowedValues: []string{"gold", "silver"}},
		fake.PropertyDef{Name: "langs", ValueType: fake.PropertyMultiSelect, AllowedValues: []string{"go", "rust", "python"}},
		fake.PropertyDef{Name: "notes", ValueType: fake.PropertyString},
		fake.PropertyDef{Name: "cost-center", ValueType: fake.PropertyString, Required: true},
	)
	return cfg
}

func propsSpec() map[string]any {
	return map[string]any{"owner": "acme", "name": "widgets", "description": "Widgets service",
		"customProperties": map[string]any{"team": "platform", "tier": "gold", "langs": []any{"go", "rust"}, "cost-center": "cc-42"}}
}

// propsWanted is what propsSpec puts on acme/widgets, with the claim.
func propsWanted() map[string]any {
	return map[string]any{"team": "platform", "tier": "gold", "langs": []string{"go", "rust"}, "cost-center": "cc-42",
		"hookops-claim": "default/team-a/widgets/u-1"}
}

// bodyLog keeps the bodies the hooks send to one path suffix.
type bodyLog struct {
	suffix string
	mu     sync.Mutex
	bodies []map[string]any
}

func (l *bodyLog) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && strings.HasSuffix(r.URL.Path, l.suffix) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		l.mu.Lock()
		l.bodies = append(l.bodies, m)
		l.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (l *bodyLog) take() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.bodies
	l.bodies = nil
	return out
}

// logBodies records what the hooks send to paths ending in suffix.
func logBodies(h *harness, suffix string) *bodyLog {
	l := &bodyLog{suffix: suffix}
	h.hooks.HTTPClient = &http.Client{Transport: l}
	return l
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A repository created in an organization gets the named properties with
// its create request, along with the claim, so that a property the
// organization requires is satisfied from the start; nothing more is sent.
// GitHub's answer, and every read after it, holds a multi_select value (a
// list), which go-github v62's Repository cannot decode
// (https://github.com/google/go-github/issues/3229): the repository is read
// fine all the same, and idle syncs stay a single 304 each.
func TestCustomPropertiesAtCreation(t *testing.T) {
	h := newHarness(t, propsSpec(), fake.WithConfig(propsConfig()))
	sent := logBodies(h, "/repos")
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if got, want := jsonText(t, h.repo("acme", "widgets").CustomProperties), jsonText(t, propsWanted()); got != want {
		t.Errorf("custom properties = %s, want %s", got, want)
	}
	bodies := sent.take()
	if len(bodies) != 1 || jsonText(t, bodies[0]["custom_properties"]) != jsonText(t, propsWanted()) {
		t.Errorf("create bodies = %v, want one carrying %v", bodies, propsWanted())
	}
	if n := h.requests("PATCH", "/repos/acme/widgets/properties/values"); n != 0 {
		t.Errorf("%d property writes after a create that carried them, want 0", n)
	}

	h.later(time.Minute)
	h.sync() // the first full read by id
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	before := h.status()
	h.gh.ClearRequests()
	for range 3 {
		h.later(5 * time.Minute)
		h.sync()
		if after := h.status(); !reflect.DeepEqual(before, after) {
			t.Fatalf("an idle sync changed the status:\nbefore %+v\nafter  %+v", before, after)
		}
	}
	reqs := h.gh.Requests(fake.RequestFilter{})
	if len(reqs) != 3 {
		t.Fatalf("%d requests for 3 idle syncs, want 3", len(reqs))
	}
	for _, r := range reqs {
		if r.Method != "GET" || !r.NotModified {
			t.Errorf("idle sync sent %s %s (304: %v), want a conditional GET answered 304", r.Method, r.Path, r.NotModified)
		}
	}
}

// The named properties are kept in line: a spec change or an edit by hand
// is written back with one PATCH .../properties/values carrying only the
// properties that differ; properties the spec does not name, or no longer
// names, stay as set by hand. A multi_select is compared as a set, so an
// order of its own on GitHub is not a difference.
// https://docs.github.com/rest/repos/custom-properties#create-or-update-custom-property-values-for-a-repository
func TestCustomPropertiesConverge(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(props map[string]any) // spec change
		byHand map[string]any             // values set on GitHub by hand
		want   map[string]any             // acme/widgets' values afterwards, claim aside
		sent   string                     // the PATCH's properties, "" for no PATCH
	}{
		{"string changed in the spec", func(p map[string]any) { p["team"] = "payments" }, nil,
			map[string]any{"team": "payments", "tier": "gold", "langs": []string{"go", "rust"}, "cost-center": "cc-42"},
			`[{"property_name":"team","value":"payments"}]`},
		{"single select changed in the spec", func(p map[string]any) { p["tier"] = "silver" }, nil,
			map[string]any{"team": "platform", "tier": "silver", "langs": []string{"go", "rust"}, "cost-center": "cc-42"},
			`[{"property_name":"tier","value":"silver"}]`},
		{"multi select changed in the spec", func(p map[string]any) { p["langs"] = []any{"python"} }, nil,
			map[string]any{"team": "platform", "tier": "gold", "langs": []string{"python"}, "cost-center": "cc-42"},
			`[{"property_name":"langs","value":["python"]}]`},
		{"required property changed in the spec", func(p map[string]any) { p["cost-center"] = "cc-7" }, nil,
			map[string]any{"team": "platform", "tier": "gold", "langs": []string{"go", "rust"}, "cost-center": "cc-7"},
			`[{"property_name":"cost-center","value":"cc-7"}]`},
		{"drift put back", nil, map[string]any{"tier": "silver", "langs": []string{"go"}, "team": nil},
			map[string]any{"team": "platform", "tier": "gold", "langs": []string{"go", "rust"}, "cost-center": "cc-42"},
			`[{"property_name":"langs","value":["go","rust"]},{"property_name":"team","value":"platform"},{"property_name":"tier","value":"gold"}]`},
		{"multi select reordered by hand", nil, map[string]any{"langs": []string{"rust", "go"}},
			map[string]any{"team": "platform", "tier": "gold", "langs": []string{"rust", "go"}, "cost-center": "cc-42"}, ""},
		{"property not named, set by hand", nil, map[string]any{"notes": "ask alice"},
			map[string]any{"team": "platform", "tier": "gold", "langs": []string{"go", "rust"}, "cost-center": "cc-42", "notes": "ask alice"}, ""},
		{"property no longer named, set by hand", func(p map[string]any) { delete(p, "team") }, map[string]any{"team": "by hand"},
			map[string]any{"team": "by hand", "tier": "gold", "langs": []string{"go", "rust"}, "cost-center": "cc-42"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, propsSpec(), fake.WithConfig(propsConfig()))
			sent := logBodies(h, "/properties/values")
			h.sync()
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			h.gh.ClearRequests()
			if c.edit != nil {
				h.edit(func(s map[string]any) { c.edit(s["customProperties"].(map[string]any)) })
			}
			if c.byHand != nil {
				setByHand(t, h, c.byHand)
			}
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			want := c.want
			want["hookops-claim"] = "default/team-a/widgets/u-1"
			if got := h.repo("acme", "widgets").CustomProperties; jsonText(t, got) != jsonText(t, want) {
				t.Errorf("custom properties = %s, want %s", jsonText(t, got), jsonText(t, want))
			}
			bodies := sent.take()
			switch {
			case c.sent == "" && len(bodies) != 0:
				t.Errorf("sent %v, want no property write", bodies)
			case c.sent != "" && (len(bodies) != 1 || jsonText(t, bodies[0]["properties"]) != c.sent):
				t.Errorf("sent %v, want one PATCH with %s", bodies, c.sent)
			}
			if n := h.writes(); n != len(bodies) {
				t.Errorf("%d writes, want only the %d property writes", n, len(bodies))
			}
			h.sync()
			if n := len(sent.take()); n != 0 {
				t.Errorf("the sync after took %d more property writes, want none", n)
			}
		})
	}
}

// setByHand changes acme/widgets' values on GitHub, as someone in the
// settings page would; nil removes a value.
func setByHand(t *testing.T, h *harness, values map[string]any) {
	t.Helper()
	if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error {
		for k, v := range values {
			if v == nil {
				delete(r.CustomProperties, k)
				continue
			}
			r.CustomProperties[k] = v
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// What GitHub refuses is reported as InvalidSpec naming the property, with
// GitHub's message; what hookops can tell is wrong is refused before any
// request. GitHub's answers: an unknown name is "Unexpected property
// 'x'" (https://github.com/eclipse-csi/otterdog/issues/648), a required
// property left out "Property 'x' requires an explicit value to be set"
// (https://github.com/alphagov/govuk-infrastructure/pull/4770). User
// accounts have no custom properties: only organizations define them
// (https://docs.github.com/organizations/managing-organization-settings/managing-custom-properties-for-repositories-in-your-organization).
func TestCustomPropertiesRefused(t *testing.T) {
	with := func(change func(p map[string]any)) func() map[string]any {
		return func() map[string]any {
			s := propsSpec()
			change(s["customProperties"].(map[string]any))
			return s
		}
	}
	cases := []struct {
		name    string
		spec    func() map[string]any
		later   func(p map[string]any) // a spec change after a first good sync
		says    []string
		request bool // whether the failing sync may call GitHub
	}{
		{"unknown name at creation", with(func(p map[string]any) { p["colour"] = "red" }), nil,
			[]string{"colour", "Unexpected property 'colour'", "defines no custom property"}, true},
		{"unknown name later", propsSpec, func(p map[string]any) { p["colour"] = "red" },
			[]string{"colour", "Unexpected property 'colour'"}, true},
		{"value not allowed at creation", with(func(p map[string]any) { p["tier"] = "platinum" }), nil,
			[]string{"spec.customProperties.tier", "Invalid value for property 'tier'"}, true},
		{"value not allowed later", propsSpec, func(p map[string]any) { p["tier"] = "platinum" },
			[]string{"spec.customProperties.tier", "Invalid value for property 'tier'"}, true},
		{"list for a single select", propsSpec, func(p map[string]any) { p["tier"] = []any{"gold"} },
			[]string{"spec.customProperties.tier"}, true},
		{"required property left out", with(func(p map[string]any) { delete(p, "cost-center") }), nil,
			[]string{"cost-center", "requires an explicit value", "spec.customProperties.cost-center"}, true},
		{"a number", with(func(p map[string]any) { p["tier"] = 3 }), nil,
			[]string{"spec.customProperties.tier", "not 3"}, false},
		{"a number later", propsSpec, func(p map[string]any) { p["team"] = true },
			[]string{"spec.customProperties.team", "quote true"}, false},
		{"the claim's property", with(func(p map[string]any) { p["hookops-claim"] = "mine" }), nil,
			[]string{"spec.customProperties.hookops-claim", "reserved for hookops' ownership claim"}, false},
		{"a user account", func() map[string]any {
			return map[string]any{"owner": "octocat", "name": "dotfiles", "customProperties": map[string]any{"team": "me"}}
		}, nil, []string{"user account", "remove spec.customProperties"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, c.spec(), fake.WithConfig(propsConfig()))
			before := map[string]any{}
			if c.later != nil {
				h.sync()
				h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
				before = h.repo("acme", "widgets").CustomProperties
				h.edit(func(s map[string]any) { c.later(s["customProperties"].(map[string]any)) })
			}
			h.gh.ClearRequests()
			h.sync()
			h.expect(v1.ConditionError, "True/"+v1.ReasonInvalidSpec)
			msg := h.message(v1.ConditionError)
			for _, s := range c.says {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not say %q", msg, s)
				}
			}
			if n := len(h.gh.Requests(fake.RequestFilter{})); !c.request && n != 0 {
				t.Errorf("%d requests, want none: hookops can tell the spec is wrong", n)
			}
			if c.later == nil && len(h.gh.Repos()) != 0 {
				t.Errorf("repositories %v, want none created", names(h.gh.Repos()))
			}
			if c.later != nil && jsonText(t, h.repo("acme", "widgets").CustomProperties) != jsonText(t, before) {
				t.Errorf("values changed to %v, want them left as %v", h.repo("acme", "widgets").CustomProperties, before)
			}
		})
	}
}

// An existing repository of a user account is refused too, once hookops
// manages it: nothing is sent for the properties.
func TestCustomPropertiesOnAUserRepository(t *testing.T) {
	cfg := propsConfig()
	cfg.Repos = append(cfg.Repos, fake.NewRepo("octocat", "dotfiles"))
	h := newHarness(t, map[string]any{"owner": "octocat", "name": "dotfiles", "adoptExisting": true,
		"customProperties": map[string]any{"team": "me"}}, fake.WithConfig(cfg))
	h.sync()
	h.expect(v1.ConditionError, "True/"+v1.ReasonInvalidSpec)
	if msg := h.message(v1.ConditionError); !strings.Contains(msg, "user account") {
		t.Errorf("message %q does not say custom properties need an organization", msg)
	}
	if n := h.requests("PATCH", "/repos/octocat/dotfiles/properties/values"); n != 0 {
		t.Errorf("%d property writes to a user's repository", n)
	}
}

// An existing repository with a multi_select value is found by name and
// adopted: its answer decodes, and the named values are set; the rename
// answer (PATCH /repos/..., a full repository) decodes as well.
func TestCustomPropertiesAdopted(t *testing.T) {
	cfg := propsConfig()
	existing := fake.NewRepo("acme", "widgets")
	existing.CustomProperties = map[string]any{"langs": []string{"python"}, "cost-center": "cc-1", "notes": "old"}
	cfg.Repos = append(cfg.Repos, existing)
	spec := map[string]any{"owner": "acme", "name": "widgets", "adoptExisting": true, "description": "adopted",
		"customProperties": map[string]any{"langs": []any{"go"}}}
	h := newHarness(t, spec, fake.WithConfig(cfg))
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	want := `{"cost-center":"cc-1","hookops-claim":"default/team-a/widgets/u-1","langs":["go"],"notes":"old"}`
	if got := jsonText(t, h.repo("acme", "widgets").CustomProperties); got != want {
		t.Errorf("custom properties = %s, want %s", got, want)
	}
	h.edit(func(s map[string]any) { s["name"] = "gadgets" })
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if st := h.status(); st.FullName != "acme/gadgets" {
		t.Errorf("fullName = %q after the rename", st.FullName)
	}
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
}

// A 403 to the property write says what it takes: admin rights for a
// token (GitHub: "Repository admins and other users with the
// repository-level \"edit custom property values\" fine-grained
// permission can use this endpoint"), custom_properties=write for an App.
// https://docs.github.com/rest/repos/custom-properties#create-or-update-custom-property-values-for-a-repository
func TestCustomPropertiesForbidden(t *testing.T) {
	priv, pub := fake.NewAppKey(t)
	cases := []struct {
		name   string
		edit   func(cfg *fake.Config)
		secret map[string]string
		reason string
		says   string
	}{
		{"a member's token", func(cfg *fake.Config) {
			// A repository someone else created, which this GitHubRepo
			// already holds: the token may push to it, not administer it.
			cfg.Orgs[0].Members["octocat"] = fake.RoleMember
			r := fake.NewRepo("acme", "widgets")
			r.CreatedBy = "someone"
			r.CustomProperties = map[string]any{"hookops-claim": "default/team-a/widgets/u-1", "tier": "gold", "cost-center": "cc-42"}
			cfg.Repos = append(cfg.Repos, r)
		}, nil, v1.ReasonForbidden, "Custom properties: write"},
		{"an App without custom_properties", func(cfg *fake.Config) {
			cfg.Apps = []fake.App{{ID: 7, Slug: "hookops", PublicKey: string(pub),
				Installations: []fake.Installation{{ID: 70, Account: "acme", Permissions: map[string]string{"metadata": "read", "administration": "write"}}}}}
		}, map[string]string{"appID": "7", "privateKey": string(priv)}, v1.ReasonAppPermissionMissing, "custom_properties=write"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := propsConfig()
			c.edit(&cfg)
			spec := map[string]any{"owner": "acme", "name": "widgets", "customProperties": map[string]any{"tier": "gold", "cost-center": "cc-42"}}
			h := newHarness(t, spec, fake.WithConfig(cfg))
			if c.secret != nil {
				c.secret["baseURL"] = h.base
				h.secret = h.makeSecret(c.secret)
			}
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			h.edit(func(s map[string]any) { s["customProperties"].(map[string]any)["tier"] = "silver" })
			h.sync()
			h.expect(v1.ConditionError, "True/"+c.reason)
			if msg := h.message(v1.ConditionError); !strings.Contains(msg, c.says) {
				t.Errorf("message %q does not say %q", msg, c.says)
			}
			if v := h.repo("acme", "widgets").CustomProperties["tier"]; v != "gold" {
				t.Errorf("tier = %v, want gold kept", v)
			}
		})
	}
}
