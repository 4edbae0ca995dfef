// Package benchenv holds what the bench programs under tools/bench share
// about the machine they measure on.
package benchenv

import (
	"bytes"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
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

// ProcCPUSeconds is process pid's user + system CPU seconds (/proc/PID/stat,
// clock ticks of 1/100 s); NaN when unknown.
func ProcCPUSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return math.NaN()
	}
	// Fields after the command name's closing parenthesis: state is field 3,
	// utime 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return math.NaN()
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return math.NaN()
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	s, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return math.NaN()
	}
	return (u + s) / 100
}

// ListenerPID is the process id of the Prometheus serving promURL: the
// process named prometheus whose --web.listen-address ends in the URL's
// port (0: none found).
func ListenerPID(promURL string) int {
	u, err := url.Parse(promURL)
	if err != nil || u.Port() == "" {
		return 0
	}
	port := ":" + u.Port()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		args := strings.Split(string(b), "\x00")
		if len(args) == 0 || !strings.Contains(filepath.Base(args[0]), "prometheus") {
			continue
		}
		for i, a := range args {
			if v, ok := strings.CutPrefix(a, "--web.listen-address="); ok && strings.HasSuffix(v, port) ||
				a == "--web.listen-address" && i+1 < len(args) && strings.HasSuffix(args[i+1], port) {
				return pid
			}
		}
	}
	return 0
}
