package main

import (
	"syscall"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD, which the syscall package does not
// name: the CPU time of the calling thread alone.
const rusageThread = 1

// threadCPU returns the CPU time the calling OS thread has used, so that a
// rate per CPU-second holds on a busy machine too.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
