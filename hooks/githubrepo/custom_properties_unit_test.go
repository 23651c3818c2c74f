package githubrepo

import (
	"encoding/json"
	"testing"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// A repository body whose custom_properties hold a multi_select (a list)
// and an unset value (null) decodes; go-github v62's own Repository fails
// on it (https://github.com/google/go-github/issues/3229). The values
// come back as text, and go out again as GitHub takes them.
func TestRepoAnswerDecodesEveryValue(t *testing.T) {
	body := `{"id":1,"full_name":"acme/widgets","owner":{"login":"acme","type":"Organization"},
		"custom_properties":{"team":"platform","langs":["go","rust"],"gone":null,"hookops-claim":"c/ns/n/u"}}`
	var a repoAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("decode: %v", err)
	}
	r := a.repository()
	if r.GetFullName() != "acme/widgets" || !isOrgRepo(r) {
		t.Errorf("repository = %+v", r)
	}
	want := map[string]string{"team": "platform", "langs": `["go","rust"]`, "hookops-claim": "c/ns/n/u"}
	if got, _ := json.Marshal(r.CustomProperties); string(got) != mustJSON(t, want) {
		t.Errorf("custom properties = %s, want %s", got, mustJSON(t, want))
	}
	if got := mustJSON(t, wireProperties(r.CustomProperties)); got != `{"hookops-claim":"c/ns/n/u","langs":["go","rust"],"team":"platform"}` {
		t.Errorf("wire form = %s", got)
	}
}

func TestSameValue(t *testing.T) {
	str := func(s string) v1.PropertyValue { return v1.PropertyValue{String: &s} }
	list := func(l ...string) v1.PropertyValue { return v1.PropertyValue{List: l} }
	cases := []struct {
		want v1.PropertyValue
		have string
		same bool
	}{
		{str("gold"), "gold", true},
		{str("gold"), "silver", false},
		{str("true"), "true", true},
		{list("go", "rust"), `["go","rust"]`, true},
		{list("go", "rust"), `["rust","go"]`, true}, // a set: order is not a difference
		{list("go", "go", "rust"), `["rust","go"]`, true},
		{list("go"), `["go","rust"]`, false},
		{list("go"), "go", false}, // GitHub holds a string: the property is not a multi_select
		{str(`["go"]`), `["go"]`, true},
	}
	for _, c := range cases {
		if got := sameValue(c.want, c.have); got != c.same {
			t.Errorf("sameValue(%s, %s) = %v, want %v", mustJSON(t, c.want), c.have, got, c.same)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
