package v1

import (
	"encoding/json"
	"strings"
	"testing"
)

// A value of the wrong shape must not fail decoding (that would fail the
// whole hook request): it is kept as written and reported by Validate.
func TestPropertyValueJSON(t *testing.T) {
	cases := []struct {
		in, out string
		invalid bool
	}{
		{`"platform"`, `"platform"`, false},
		{`""`, `""`, false},
		{`["go","rego"]`, `["go","rego"]`, false},
		{`[]`, `[]`, false},
		{`5`, `5`, true},
		{`true`, `true`, true},
		{`[1,"a"]`, `[1,"a"]`, true},
		{`{"a":"b"}`, `{"a":"b"}`, true},
		{`null`, `null`, true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			var m map[string]PropertyValue
			if err := json.Unmarshal([]byte(`{"p":`+c.in+`}`), &m); err != nil {
				t.Fatalf("decode: %v", err)
			}
			err := m["p"].Validate()
			if (err != nil) != c.invalid {
				t.Errorf("Validate() = %v, want invalid %v", err, c.invalid)
			}
			if err != nil && !strings.Contains(err.Error(), "must be a string or a list of strings") {
				t.Errorf("Validate() = %v, want it to say what a value must be", err)
			}
			out, err := json.Marshal(m)
			if err != nil || string(out) != `{"p":`+c.out+`}` {
				t.Errorf("encode = %s, %v; want {\"p\":%s}", out, err, c.out)
			}
		})
	}
}
