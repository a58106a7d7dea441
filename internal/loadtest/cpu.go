package loadtest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
)

// clockTicks is the kernel's unit of /proc CPU times (USER_HZ).
const clockTicks = 100

// cpuUse is CPU time spent so far by this process (server and senders)
// and by the PostgreSQL backends serving this run's database. On a
// machine shared with other work, CPU per event is a steadier figure than
// events per second.
type cpuUse struct {
	process, postgres time.Duration
	backends          map[int]time.Duration
}

func sampleCPU(ctx context.Context, db *sqlx.DB) cpuUse {
	var u cpuUse
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		u.process = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var pids []int
	if err := db.SelectContext(ctx, &pids, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`); err != nil {
		return u
	}
	u.backends = map[int]time.Duration{}
	for _, pid := range pids {
		if d, ok := procCPU(pid); ok {
			u.backends[pid] = d
			u.postgres += d
		}
	}
	return u
}

// since is the CPU spent between an earlier sample and u, counting only
// backends alive at both ends (new ones from their start).
func (u cpuUse) since(earlier cpuUse) (process, postgres time.Duration) {
	process = u.process - earlier.process
	for pid, d := range u.backends {
		postgres += d - earlier.backends[pid]
	}
	return process, postgres
}

// procCPU reads utime+stime of a process from /proc (Linux only; PostgreSQL
// must be on this machine, which loopbackOnly ensures).
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * time.Second / clockTicks, true
}
