package mirror_test

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/prometheus/procfs"
)

// cpuSeconds is the CPU time, user and system, that each process of this
// benchmark's process tree has used, by command name. The control plane,
// the hook server and a real Metacontroller run as its children; the
// client-go controller, the stand-in and the benchmark's own watch and
// writers run in this process. Both cores are busy in a round and in the
// floors alike, so how much CPU each used says where a round's time goes.
// Where /proc cannot be read it is empty.
type cpuSeconds map[string]float64

// ownProcess names this process.
const ownProcess = "test process"

func readCPU() cpuSeconds {
	procs, err := procfs.AllProcs()
	if err != nil {
		return nil
	}
	stats := map[int]procfs.ProcStat{}
	children := map[int][]int{}
	for _, p := range procs {
		s, err := p.Stat()
		if err != nil {
			continue // exited since it was listed
		}
		stats[s.PID] = s
		children[s.PPID] = append(children[s.PPID], s.PID)
	}
	used := cpuSeconds{}
	for queue := []int{os.Getpid()}; len(queue) > 0; queue = queue[1:] {
		pid := queue[0]
		name := stats[pid].Comm
		if pid == os.Getpid() {
			name = ownProcess
		}
		used[name] += stats[pid].CPUTime()
		queue = append(queue, children[pid]...)
	}
	return used
}

// since is the CPU each process used from before to c. A process that
// started in between counts from zero; one that ended is not counted.
func (c cpuSeconds) since(before cpuSeconds) cpuSeconds {
	d := cpuSeconds{}
	for name, s := range c {
		d[name] = s - before[name]
	}
	return d
}

func (c cpuSeconds) total() float64 {
	var all float64
	for _, s := range c {
		all += s
	}
	return all
}

// String lists the processes that used a tenth of a second or more, the
// busiest first.
func (c cpuSeconds) String() string {
	if len(c) == 0 {
		return "not measured (no /proc)"
	}
	names := slices.SortedFunc(maps.Keys(c), func(a, b string) int { return cmp.Compare(c[b], c[a]) })
	var parts []string
	for _, name := range names {
		if c[name] >= 0.1 {
			parts = append(parts, fmt.Sprintf("%s %.1f", name, c[name]))
		}
	}
	return fmt.Sprintf("%s; all %.1f CPU s", strings.Join(parts, ", "), c.total())
}
