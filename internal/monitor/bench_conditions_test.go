package monitor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
)

// serverCounters are cluster-wide counters of the PostgreSQL server and
// the machine's disks, read before and after a measured step so that a
// slow run can be told from a fast one by what the server did meanwhile
// (the benchmark shares both with everything else running).
type serverCounters struct {
	WALRecords     int64   `db:"wal_records"`
	WALFPI         int64   `db:"wal_fpi"`
	WALBytes       float64 `db:"wal_bytes"`
	WALBuffersFull int64   `db:"wal_buffers_full"`
	WALWrites      int64   `db:"wal_write"`
	WALSyncs       int64   `db:"wal_sync"`
	Timed          int64   `db:"checkpoints_timed"`
	Requested      int64   `db:"checkpoints_req"`
	BufCheckpoint  int64   `db:"buffers_checkpoint"`
	BufClean       int64   `db:"buffers_clean"`
	BufBackend     int64   `db:"buffers_backend"`
	Autovacuums    int64   `db:"autovacuum_count"`
	Autoanalyzes   int64   `db:"autoanalyze_count"`
	HeapRead       int64   `db:"heap_blks_read"`
	HeapHit        int64   `db:"heap_blks_hit"`
	// LastCheckpoint is when the last completed checkpoint began.
	LastCheckpoint time.Time `db:"checkpoint_time"`
	// Disk counters summed over the machine's disks (/proc/diskstats):
	// sectors written and milliseconds with I/O in flight.
	DiskSectorsWritten, DiskBusyMS int64
	At                             time.Time
}

func readServerCounters(ctx context.Context, su *sqlx.DB) (serverCounters, error) {
	var c serverCounters
	err := su.GetContext(ctx, &c, `
		SELECT w.wal_records, w.wal_fpi, w.wal_bytes::float8 AS wal_bytes, w.wal_buffers_full, w.wal_write, w.wal_sync,
			b.checkpoints_timed, b.checkpoints_req, b.buffers_checkpoint, b.buffers_clean, b.buffers_backend,
			coalesce(t.autovacuum_count, 0) AS autovacuum_count, coalesce(t.autoanalyze_count, 0) AS autoanalyze_count,
			coalesce(io.heap_blks_read, 0) AS heap_blks_read, coalesce(io.heap_blks_hit, 0) AS heap_blks_hit,
			(pg_control_checkpoint()).checkpoint_time
		FROM pg_stat_wal w, pg_stat_bgwriter b
		LEFT JOIN pg_stat_user_tables t ON t.relname = 'shipments' AND t.schemaname = 'public'
		LEFT JOIN pg_statio_user_tables io ON io.relid = t.relid`)
	if err != nil {
		return c, fmt.Errorf("server counters: %w", err)
	}
	c.DiskSectorsWritten, c.DiskBusyMS = diskCounters()
	c.At = time.Now()
	return c, nil
}

// diskCounters sums sectors written and milliseconds spent doing I/O over
// the machine's whole disks (not loop, RAM or compressed-RAM devices); 0
// where /proc/diskstats is not readable.
func diskCounters() (sectorsWritten, busyMS int64) {
	b, err := os.ReadFile("/proc/diskstats")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 13 {
			continue
		}
		name := f[2]
		if strings.HasPrefix(name, "loop") || strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "zram") {
			continue
		}
		if _, err := os.Stat(filepath.Join("/sys/block", name)); err != nil {
			continue // a partition: counted in its disk
		}
		w, _ := strconv.ParseInt(f[9], 10, 64)
		t, _ := strconv.ParseInt(f[12], 10, 64)
		sectorsWritten, busyMS = sectorsWritten+w, busyMS+t
	}
	return sectorsWritten, busyMS
}

// serverActivity samples, while a step runs, whether the checkpointer is
// writing a checkpoint, whether an autovacuum worker is running (and on
// which tables), and how many other client sessions are active.
type serverActivity struct {
	mu          sync.Mutex
	samples     int
	checkpoint  int // samples with a checkpoint in progress
	autovacuum  int // samples with an autovacuum worker running
	vacuumed    map[string]bool
	otherActive int // active client sessions of other databases, summed over samples
	// waits counts, over samples, the wait events of this database's
	// active sessions other than the sampler's ("CPU" when not waiting).
	waits map[string]int
	// cpuFirst and cpuLast are the CPU ticks (user and system) of each of
	// this database's server processes when first and last sampled.
	cpuFirst, cpuLast map[int]int64
	// selfFirst is this process's CPU time when sampling began.
	selfFirst time.Duration
}

// sampledActivity samples the server until stop is called.
func sampledActivity(ctx context.Context, su *sqlx.DB) (a *serverActivity, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	return sampleServer(ctx, su), cancel
}

// sampleServer samples the server every 50 ms until ctx ends.
func sampleServer(ctx context.Context, su *sqlx.DB) *serverActivity {
	a := &serverActivity{vacuumed: map[string]bool{}, waits: map[string]int{},
		cpuFirst: map[int]int64{}, cpuLast: map[int]int64{}, selfFirst: selfCPU()}
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			var rows []struct {
				Kind  string `db:"kind"`
				Query string `db:"query"`
				PID   int    `db:"pid"`
			}
			// The checkpointer waits on CheckpointerMain when idle; any other
			// state (spreading writes, writing, syncing) is a checkpoint.
			err := su.SelectContext(ctx, &rows, `
				SELECT CASE WHEN backend_type = 'checkpointer' THEN 'checkpoint'
					WHEN backend_type = 'autovacuum worker' THEN 'autovacuum'
					WHEN datname = current_database() THEN 'own' ELSE 'other' END AS kind,
					CASE WHEN backend_type = 'client backend' AND datname = current_database()
						THEN coalesce(wait_event_type || ':' || wait_event, 'CPU') ELSE coalesce(query, '') END AS query,
					pid
				FROM pg_stat_activity
				WHERE (backend_type = 'checkpointer' AND wait_event IS DISTINCT FROM 'CheckpointerMain')
					OR backend_type = 'autovacuum worker'
					OR (backend_type = 'client backend' AND pid <> pg_backend_pid()
						AND (state = 'active' OR datname = current_database()))`)
			if err == nil {
				a.mu.Lock()
				a.samples++
				var ckpt, av bool
				for _, r := range rows {
					switch r.Kind {
					case "checkpoint":
						ckpt = true
					case "autovacuum":
						av = true
						a.vacuumed[strings.TrimPrefix(r.Query, "autovacuum: ")] = true
					case "own":
						if ticks, ok := procCPU(r.PID); ok {
							if _, seen := a.cpuFirst[r.PID]; !seen {
								a.cpuFirst[r.PID] = ticks
							}
							a.cpuLast[r.PID] = ticks
						}
						if r.Query != "Client:ClientRead" {
							a.waits[r.Query]++
						}
					default:
						a.otherActive++
					}
				}
				if ckpt {
					a.checkpoint++
				}
				if av {
					a.autovacuum++
				}
				a.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return a
}

// procCPU returns the user and system CPU ticks of process pid so far.
func procCPU(pid int) (int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The fields after the command, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, false
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st, true
}

// selfCPU returns this process's user and system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// describe says what the server and the disks did between before and
// after, while a was sampled: one line to print beside the step's time.
func describeConditions(before, after serverCounters, a *serverActivity) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	secs := after.At.Sub(before.At).Seconds()
	pct := func(n int) int {
		if a.samples == 0 {
			return 0
		}
		return 100 * n / a.samples
	}
	var vacuumed []string
	for q := range a.vacuumed {
		vacuumed = append(vacuumed, q)
	}
	av := "none"
	if len(vacuumed) > 0 {
		av = fmt.Sprintf("%d%% of samples (%s)", pct(a.autovacuum), strings.Join(vacuumed, "; "))
	}
	other := 0.0
	if a.samples > 0 {
		other = float64(a.otherActive) / float64(a.samples)
	}
	busy := 0
	if secs > 0 {
		busy = int(float64(after.DiskBusyMS-before.DiskBusyMS) / 10 / secs)
	}
	type wait struct {
		name string
		n    int
	}
	var waits []wait
	total := 0
	for name, n := range a.waits {
		waits, total = append(waits, wait{name, n}), total+n
	}
	sort.Slice(waits, func(i, j int) bool { return waits[i].n > waits[j].n })
	var waitList []string
	for _, w := range waits {
		waitList = append(waitList, fmt.Sprintf("%s %d%%", w.name, 100*w.n/total))
	}
	var serverTicks int64
	for pid, last := range a.cpuLast {
		serverTicks += last - a.cpuFirst[pid]
	}
	// /proc counts CPU in clock ticks, 100 a second on Linux.
	cpu := fmt.Sprintf("this database's server processes %.2f CPU-s, this process %.2f CPU-s",
		float64(serverTicks)/100, (selfCPU() - a.selfFirst).Seconds())
	load, _ := os.ReadFile("/proc/loadavg")
	loadFields := strings.Fields(string(load))
	if len(loadFields) > 3 {
		loadFields = loadFields[:3]
	}
	return fmt.Sprintf("WAL %.0f MB in %d records, %d full-page images, WAL buffers full %d times, %d WAL writes, %d syncs; "+
		"checkpoints begun %d (timed %d, requested %d), one in progress in %d%% of samples, last began %s before the end; "+
		"buffers written by checkpointer %d, bgwriter %d, backends %d; shipments blocks read %d (hit %d); "+
		"autovacuum of shipments %d, autoanalyze %d, autovacuum workers: %s; other databases' active sessions %.1f on average; "+
		"disks: %.0f MB written, busy %d%%; load average %s; %s; this database's sessions: %s",
		(after.WALBytes-before.WALBytes)/1e6, after.WALRecords-before.WALRecords, after.WALFPI-before.WALFPI,
		after.WALBuffersFull-before.WALBuffersFull, after.WALWrites-before.WALWrites, after.WALSyncs-before.WALSyncs,
		(after.Timed+after.Requested)-(before.Timed+before.Requested), after.Timed-before.Timed, after.Requested-before.Requested,
		pct(a.checkpoint), after.At.Sub(after.LastCheckpoint).Round(time.Second),
		after.BufCheckpoint-before.BufCheckpoint, after.BufClean-before.BufClean, after.BufBackend-before.BufBackend,
		after.HeapRead-before.HeapRead, after.HeapHit-before.HeapHit,
		after.Autovacuums-before.Autovacuums, after.Autoanalyzes-before.Autoanalyzes, av, other,
		float64(after.DiskSectorsWritten-before.DiskSectorsWritten)*512/1e6, busy, strings.Join(loadFields, " "),
		cpu, strings.Join(waitList, ", "))
}
