// Package e2e drives hookops as a user would: kubectl and client-go against
// a real kube-apiserver, with the hook server, the fake GitHub and a
// Metacontroller (the stand-in, or a real one from METACONTROLLER_BIN).
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/stack"
)

// env is the one stack all scenarios share; each scenario works in its own
// namespace with its own GitHub user and token, so they do not see each other.
var env *stack.Stack

// users are the fake GitHub's accounts, one per scenario, all admins of acme.
var users = []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "c1", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "g1", "a1", "i1", "p1", "t1", "sa1", "m1"}

// appKey is the private key of the GitHub App installed on appco; appID is
// its id.
var appKey []byte

const appID = 42

// maxParallel is the default -test.parallel; see TestMain.
const maxParallel = 2

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	if testing.Short() {
		fmt.Println("e2e: skipped under -short")
		os.Exit(0)
	}
	// How many parallel scenarios run at once is bounded by what
	// Metacontroller can carry, not by the CPUs: a real one talks to the
	// apiserver at client-go's default 5 requests a second (several per
	// sync), and every live GitHubRepo is resynced every 5s. More than two
	// scenarios at a time starve each other's syncs and skew the timing
	// they measure. The stand-in, given 100 requests a second, runs under
	// the same bound so that both are measured alike. -test.parallel
	// overrides this.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(maxParallel))
	}
	cfg := fake.DefaultConfig()
	acme := &cfg.Orgs[0]
	// Custom properties for the custom properties scenario; none is
	// required, so the other scenarios create repositories without them.
	acme.Properties = append(acme.Properties,
		fake.PropertyDef{Name: "team", ValueType: fake.PropertyString},
		fake.PropertyDef{Name: "tier", ValueType: fake.PropertySingleSelect, AllowedValues: []string{"gold", "silver"}},
		fake.PropertyDef{Name: "langs", ValueType: fake.PropertyMultiSelect, AllowedValues: []string{"go", "rust", "python"}})
	// oldco still starts new repositories on master.
	oldco := fake.Org{Login: "oldco", DefaultBranch: "master", Members: map[string]fake.Role{},
		Properties: []fake.PropertyDef{{Name: "hookops-claim", ValueType: fake.PropertyString}}}
	for _, u := range users {
		cfg.Tokens["token-"+u] = "user-" + u
		cfg.Users = append(cfg.Users, fake.User{Login: "user-" + u})
		acme.Members["user-"+u] = fake.RoleAdmin
		oldco.Members["user-"+u] = fake.RoleAdmin
	}
	cfg.Orgs = append(cfg.Orgs, oldco)
	// appco is where the GitHub App of the App scenario is installed.
	var pub []byte
	if appKey, pub, err = fake.GenerateAppKey(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: make the App's key:", err)
		os.Exit(1)
	}
	cfg.Orgs = append(cfg.Orgs, fake.Org{Login: "appco", Members: map[string]fake.Role{},
		Properties: []fake.PropertyDef{{Name: "hookops-claim", ValueType: fake.PropertyString}}})
	cfg.Apps = []fake.App{{ID: appID, Slug: "hookops-e2e", PublicKey: string(pub), Installations: []fake.Installation{{
		ID: 4200, Account: "appco", Permissions: map[string]string{"administration": "write", "metadata": "read", "custom_properties": "write"}}}}}
	started := time.Now()
	// Starting builds the binaries, so the bound is generous; it is there
	// so that a wedged start fails the run instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	env, err = stack.Start(ctx, stack.Options{
		GitHub:              &cfg,
		ResyncPeriodSeconds: 5,
		MetacontrollerBin:   os.Getenv("METACONTROLLER_BIN"),
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start the stack:", err)
		os.Exit(1)
	}
	fmt.Printf("e2e: stack started in %s\n", time.Since(started).Round(100*time.Millisecond))
	ran := time.Now()
	code := m.Run()
	fmt.Printf("e2e: scenarios ran in %s\n", time.Since(ran).Round(100*time.Millisecond))
	if code != 0 {
		fmt.Fprintln(os.Stderr, env.Logs())
	}
	stopping := time.Now()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stop the stack:", err)
	}
	fmt.Printf("e2e: stack stopped in %s\n", time.Since(stopping).Round(100*time.Millisecond))
	os.Exit(code)
}
