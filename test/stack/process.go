package stack

import "github.com/hookops/hookops/test/process"

// exec starts a process whose output goes to <Dir>/<name>.log; Stop ends it.
func (s *Stack) exec(name, bin string, env []string, args ...string) (*process.Process, error) {
	p, err := process.Start(s.Dir, name, env, bin, args...)
	if err != nil {
		return nil, err
	}
	s.procs = append(s.procs, p)
	return p, nil
}
