package mirror_test

import "testing"

func TestClientGo(t *testing.T) {
	cp := startControlPlane(t)
	e := newEnv(t, cp, newClientgoImpl(t, cp, implOptions{}))
	conform(t, e)
	// The in-process controller makes way for two replicas of the binary.
	e.impl.stop(t)
	t.Run("leader election", func(t *testing.T) { leaderElection(t, e) })
}

func TestHooks(t *testing.T) {
	cp := startControlPlane(t)
	e := newEnv(t, cp, newHooksImpl(t, cp, implOptions{}))
	conform(t, e)
}
