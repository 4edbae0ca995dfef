// Package benchenv holds what the bench programs under tools/bench share
// about the machine they measure on.
package benchenv

import (
	"os"
	"strings"
)

// LoadAvg is the 1, 5 and 15 minute load averages of /proc/loadavg
// ("0.52 0.61 0.70"), or "unknown" where there is none: a bench prints it at
// its start and end so that a figure taken on a busy machine says so.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
