//go:build !linux

package main

import "time"

// threadCPU is not measured outside Linux: trackbench reports wall-clock
// rates only there.
func threadCPU() time.Duration { return 0 }
