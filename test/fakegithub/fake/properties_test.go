package fake_test

import (
	"testing"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// propsConfig gives acme custom properties of each kind
// (https://docs.github.com/en/rest/orgs/custom-properties): owner is
// required without a default, tier required with one. acme/widgets has
// values; acme/gadgets is archived.
func propsConfig() fake.Config {
	cfg := testConfig()
	cfg.Orgs[0].Properties = []fake.PropertyDef{
		{Name: "hookops-claim", ValueType: fake.PropertyString},
		{Name: "env", ValueType: fake.PropertySingleSelect, AllowedValues: []string{"dev", "prod"}},
		{Name: "teams", ValueType: fake.PropertyMultiSelect, AllowedValues: []string{"a", "b"}},
		{Name: "public", ValueType: fake.PropertyTrueFalse},
		{Name: "docs", ValueType: fake.PropertyURL},
		{Name: "owner", ValueType: fake.PropertyString, Required: true},
		{Name: "tier", ValueType: fake.PropertySingleSelect, Required: true, DefaultValue: "gold", AllowedValues: []string{"gold", "silver"}},
	}
	cfg.Repos[0].CustomProperties = map[string]any{"owner": "team-a", "tier": "silver", "hookops-claim": "ns/name"}
	gadgets := fake.NewRepo("acme", "gadgets")
	gadgets.Archived, gadgets.CustomProperties = true, map[string]any{"owner": "team-a", "tier": "gold"}
	cfg.Repos = append(cfg.Repos, gadgets)
	return cfg
}

// TestPropertySchema: organization members read the definitions, owners
// create or update them
// (https://docs.github.com/en/rest/orgs/custom-properties#create-or-update-a-custom-property-for-an-organization);
// a string property with allowed values is refused with the message
// reported in https://github.com/eclipse-csi/otterdog/issues/648.
func TestPropertySchema(t *testing.T) {
	tests := []struct {
		name, method, path, token string
		body                      any
		want                      int
		message                   string
	}{
		{"list, member", "GET", "/orgs/acme/properties/schema", devToken, nil, 200, ""},
		{"list, outsider", "GET", "/orgs/acme/properties/schema", outsiderToken, nil, 404, "Not Found"},
		{"list, user", "GET", "/orgs/octocat/properties/schema", octocatToken, nil, 404, "Not Found"},
		{"one", "GET", "/orgs/acme/properties/schema/tier", devToken, nil, 200, ""},
		{"unknown", "GET", "/orgs/acme/properties/schema/nope", octocatToken, nil, 404, "Not Found"},
		{"create", "PUT", "/orgs/acme/properties/schema/region", octocatToken, map[string]any{"value_type": "single_select", "allowed_values": []string{"eu", "us"}, "default_value": "eu", "required": true}, 200, ""},
		{"update", "PUT", "/orgs/acme/properties/schema/env", octocatToken, map[string]any{"value_type": "single_select", "allowed_values": []string{"dev", "prod", "staging"}}, 200, ""},
		{"by a member", "PUT", "/orgs/acme/properties/schema/region", devToken, map[string]any{"value_type": "string"}, 403, ""},
		{"by an outsider", "PUT", "/orgs/acme/properties/schema/region", outsiderToken, map[string]any{"value_type": "string"}, 404, "Not Found"},
		{"string with allowed values", "PUT", "/orgs/acme/properties/schema/region", octocatToken, map[string]any{"value_type": "string", "allowed_values": []string{"eu"}}, 422, "Validation failed: Allowed values must be nil if value_type is string"},
		{"default not allowed", "PUT", "/orgs/acme/properties/schema/region", octocatToken, map[string]any{"value_type": "single_select", "allowed_values": []string{"eu"}, "default_value": "us"}, 422, ""},
		{"bad name", "PUT", "/orgs/acme/properties/schema/a%20b", octocatToken, map[string]any{"value_type": "string"}, 422, ""},
		{"no type", "PUT", "/orgs/acme/properties/schema/region", octocatToken, map[string]any{}, 422, "Invalid request.\n\n\"value_type\" wasn't supplied."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base, _ := start(t, fake.WithConfig(propsConfig()))
			got := call(t, base, tt.method, tt.path, tt.token, tt.body)
			got.expect(t, tt.want, tt.message)
			if tt.want == 200 && tt.method == "PUT" {
				again := call(t, base, "GET", tt.path, devToken, nil).json(t)
				if again["value_type"] != tt.body.(map[string]any)["value_type"] || again["source_type"] != "organization" {
					t.Errorf("stored = %v", again)
				}
			}
		})
	}
	_, base, _ := start(t, fake.WithConfig(propsConfig()))
	tier := call(t, base, "GET", "/orgs/acme/properties/schema/tier", octocatToken, nil)
	want := `{"allowed_values":["gold","silver"],"default_value":"gold","description":null,"property_name":"tier","required":true,"source_type":"organization","url":"` +
		base + `orgs/acme/properties/schema/tier","value_type":"single_select","values_editable_by":"org_actors"}`
	if string(tier.body) != want {
		t.Errorf("body = %s\nwant   %s", tier.body, want)
	}
}

// TestPropertyValues: anyone who can read a repository reads its values;
// setting them needs admin, takes null to unset, and refuses names not
// defined ("Unexpected property 'x'", as reported in
// https://github.com/eclipse-csi/otterdog/issues/648) and values that are
// not allowed, including characters outside printable ASCII or '"'
// ("Allowed characters",
// https://docs.github.com/en/organizations/managing-organization-settings/managing-custom-properties-for-repositories-in-your-organization#allowed-characters).
// A required property that loses its value inherits the default. Values
// follow https://docs.github.com/en/rest/repos/custom-properties.
func TestPropertyValues(t *testing.T) {
	set := func(name string, value any) map[string]any {
		return map[string]any{"properties": []map[string]any{{"property_name": name, "value": value}}}
	}
	tests := []struct {
		name, method, path, token string
		body                      any
		want                      int
		message                   string
		values                    string // GET .../properties/values of acme/widgets afterwards
	}{
		{"read", "GET", "/repos/acme/widgets/properties/values", outsiderToken, nil, 200, "", ""},
		{"set", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("env", "prod"), 204, "",
			`[{"property_name":"hookops-claim","value":"ns/name"},{"property_name":"env","value":"prod"},{"property_name":"owner","value":"team-a"},{"property_name":"tier","value":"silver"}]`},
		{"by id", "PATCH", "/repositories/1001/properties/values", octocatToken, set("teams", []string{"a", "b"}), 204, "",
			`[{"property_name":"hookops-claim","value":"ns/name"},{"property_name":"teams","value":["a","b"]},{"property_name":"owner","value":"team-a"},{"property_name":"tier","value":"silver"}]`},
		{"unset", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("hookops-claim", nil), 204, "",
			`[{"property_name":"owner","value":"team-a"},{"property_name":"tier","value":"silver"}]`},
		{"unset required", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("tier", nil), 204, "",
			`[{"property_name":"hookops-claim","value":"ns/name"},{"property_name":"owner","value":"team-a"},{"property_name":"tier","value":"gold"}]`},
		{"unset required without default", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("owner", nil), 422, "Property 'owner' requires an explicit value to be set", ""},
		{"unknown", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("nope", "x"), 422, "Unexpected property 'nope'", ""},
		{"not allowed", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("env", "staging"), 422, "Invalid value for property 'env'", ""},
		{"quote", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("hookops-claim", `say "hi"`), 422, "", ""},
		{"not ASCII", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("hookops-claim", "café"), 422, "", ""},
		{"not a boolean", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("public", "yes"), 422, "", ""},
		{"not a URL", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("docs", "elsewhere"), 422, "", ""},
		{"list for a single select", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, set("env", []string{"dev"}), 422, "", ""},
		{"no properties", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, map[string]any{}, 422, "Invalid request.\n\n\"properties\" wasn't supplied.", ""},
		{"by a member", "PATCH", "/repos/acme/widgets/properties/values", devToken, set("env", "dev"), 403, "Must have admin rights to Repository.", ""},
		{"archived", "PATCH", "/repos/acme/gadgets/properties/values", octocatToken, set("env", "dev"), 403, "Repository was archived so is read-only.", ""},
		{"private, outsider", "GET", "/repos/octocat/personal/properties/values", outsiderToken, nil, 404, "Not Found", ""},
		{"user repository", "PATCH", "/repos/octocat/personal/properties/values", octocatToken, set("env", "dev"), 422, "Unexpected property 'env'", ""},
	}
	unchanged := `[{"property_name":"hookops-claim","value":"ns/name"},{"property_name":"owner","value":"team-a"},{"property_name":"tier","value":"silver"}]`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base, _ := start(t, fake.WithConfig(propsConfig()))
			got := call(t, base, tt.method, tt.path, tt.token, tt.body)
			got.expect(t, tt.want, tt.message)
			want := tt.values
			if want == "" {
				want = unchanged
			}
			if values := call(t, base, "GET", "/repos/acme/widgets/properties/values", octocatToken, nil); string(values.body) != want {
				t.Errorf("values = %s\nwant     %s", values.body, want)
			}
		})
	}
	_, base, _ := start(t, fake.WithConfig(propsConfig()))
	if got := call(t, base, "GET", "/repos/octocat/personal/properties/values", octocatToken, nil); string(got.body) != "[]" {
		t.Errorf("user repository values = %s, want []", got.body)
	}
}

// TestCreateWithProperties: POST /orgs/{org}/repos takes custom_properties
// (https://docs.github.com/en/rest/repos/repos#create-an-organization-repository);
// a required property without a default must be given ("Property
// 'team_identifier' requires an explicit value to be set", reported in
// https://github.com/alphagov/govuk-infrastructure/pull/4770, and
// https://github.com/integrations/terraform-provider-github/issues/3304;
// https://github.com/integrations/terraform-provider-github/pull/3322,
// which resolves it and #3230, sends the values with the create for that
// reason), one with a default is inherited. The full repository carries the values
// set (custom_properties, in the OpenAPI description); a user's repository
// has none.
func TestCreateWithProperties(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		props   map[string]any
		want    int
		message string
		carried string // custom_properties of the body, "-" for none
	}{
		{"required given", "/orgs/acme/repos", map[string]any{"owner": "team-b", "teams": []string{"b"}}, 201, "", `{"owner":"team-b","teams":["b"],"tier":"gold"}`},
		{"required missing", "/orgs/acme/repos", map[string]any{"env": "dev"}, 422, "Property 'owner' requires an explicit value to be set", ""},
		{"unknown", "/orgs/acme/repos", map[string]any{"owner": "x", "colour": "red"}, 422, "Unexpected property 'colour'", ""},
		{"not allowed", "/orgs/acme/repos", map[string]any{"owner": "x", "tier": "bronze"}, 422, "Invalid value for property 'tier'", ""},
		{"user repository", "/user/repos", map[string]any{"colour": "red"}, 201, "", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t, fake.WithConfig(propsConfig()))
			got := call(t, base, "POST", tt.path, octocatToken, map[string]any{"name": "new", "custom_properties": tt.props})
			if got.resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.resp.StatusCode, tt.want, got.body)
			}
			body := got.json(t)
			if tt.message != "" && body["message"] != tt.message {
				t.Errorf("message = %q, want %q", body["message"], tt.message)
			}
			if tt.want != 201 {
				if _, ok := s.Repo("acme", "new"); ok {
					t.Error("created anyway")
				}
				return
			}
			if carried, ok := body["custom_properties"]; tt.carried == "-" && ok || tt.carried != "-" && jsonString(carried) != tt.carried {
				t.Errorf("custom_properties = %v, want %s", carried, tt.carried)
			}
		})
	}
}

// TestDefaultConfigClaimProperty: DefaultConfig's acme defines the
// optional string property hookops-claim.
func TestDefaultConfigClaimProperty(t *testing.T) {
	_, base := fake.Start(t)
	schema := call(t, base, "GET", "/orgs/acme/properties/schema", "fake-token", nil)
	if want := `"property_name":"hookops-claim"`; schema.resp.StatusCode != 200 || !contains(schema.body, want) || !contains(schema.body, `"required":false`) {
		t.Fatalf("schema = %d %s", schema.resp.StatusCode, schema.body)
	}
	created := call(t, base, "POST", "/orgs/acme/repos", "fake-token", map[string]any{"name": "claimed", "custom_properties": map[string]any{"hookops-claim": "cluster/ns/name/uid"}})
	if got := jsonString(created.json(t)["custom_properties"]); got != `{"hookops-claim":"cluster/ns/name/uid"}` {
		t.Errorf("custom_properties = %s", got)
	}
	plain := call(t, base, "POST", "/orgs/acme/repos", "fake-token", map[string]any{"name": "plain"})
	if got := jsonString(plain.json(t)["custom_properties"]); got != `{}` {
		t.Errorf("custom_properties = %s, want {}", got)
	}
}

// TestPropertyValuesInTheRepository: the full repository carries the
// values set (custom_properties of full-repository, in GitHub's OpenAPI
// description), a multi_select as a list. Its ETag is a digest of that
// body, so setting a value changes it, and setting the value it already has
// does not: a conditional GET answers 304 again.
func TestPropertyValuesInTheRepository(t *testing.T) {
	_, base, _ := start(t, fake.WithConfig(propsConfig()))
	first := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil)
	etag := first.resp.Header.Get("ETag")
	steps := []struct {
		name    string
		body    map[string]any
		changed bool
		carried string // custom_properties of the repository afterwards
	}{
		{"set", map[string]any{"properties": []map[string]any{{"property_name": "teams", "value": []string{"b", "a"}}}}, true,
			`{"hookops-claim":"ns/name","owner":"team-a","teams":["b","a"],"tier":"silver"}`},
		{"same again", map[string]any{"properties": []map[string]any{{"property_name": "teams", "value": []string{"b", "a"}}}}, false,
			`{"hookops-claim":"ns/name","owner":"team-a","teams":["b","a"],"tier":"silver"}`},
		{"unset", map[string]any{"properties": []map[string]any{{"property_name": "teams", "value": nil}}}, true,
			`{"hookops-claim":"ns/name","owner":"team-a","tier":"silver"}`},
	}
	for _, st := range steps {
		call(t, base, "PATCH", "/repos/acme/widgets/properties/values", octocatToken, st.body).expect(t, 204, "")
		got := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil, "If-None-Match", etag)
		if changed := got.resp.StatusCode == 200; changed != st.changed {
			t.Fatalf("%s: conditional GET = %d, want changed %v", st.name, got.resp.StatusCode, st.changed)
		}
		if !st.changed {
			continue
		}
		etag = got.resp.Header.Get("ETag")
		if carried := jsonString(got.json(t)["custom_properties"]); carried != st.carried {
			t.Errorf("%s: custom_properties = %s, want %s", st.name, carried, st.carried)
		}
	}
}
