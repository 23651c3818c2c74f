package mirror_test

import "testing"

func TestClientGo(t *testing.T) {
	e := newEnv(t, newClientgoImpl(t, implOptions{}))
	conform(t, e)
	// The in-process controller makes way for two replicas of the binary.
	e.impl.stop(t)
	t.Run("leader election", func(t *testing.T) { leaderElection(t, e) })
}

func TestHooks(t *testing.T) {
	e := newEnv(t, newHooksImpl(t, implOptions{}))
	conform(t, e)
}
