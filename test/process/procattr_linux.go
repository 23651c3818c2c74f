package process

import "syscall"

// childProcAttr makes the kernel kill a child when the test binary dies
// without calling Stop (panic, timeout, kill), so no control plane outlives it.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
