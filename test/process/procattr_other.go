//go:build !linux

package process

import "syscall"

func childProcAttr() *syscall.SysProcAttr { return nil }
