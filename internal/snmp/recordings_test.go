package snmp

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// The env_exporter conformance recordings (exporters/env_exporter/testdata,
// real device answers) served by snmpsimd and polled through gosnmp. Issue
// 23 measured the lean BER GET client that stood beside gosnmp against it
// on these polls (commit 803241b, make bench-fastpaths --only=snmp): it
// saved 1.5× of the client's CPU, below the 2× bar, and was removed
// (docs/fastpaths.md).

// recordings returns community → .snmprec content and community → the
// recorded OIDs.
func recordings(tb testing.TB) (map[string]string, map[string][]string) {
	files, err := filepath.Glob("../../exporters/env_exporter/testdata/*.snmprec")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no recordings: %v", err)
	}
	sort.Strings(files)
	recs, oids := map[string]string{}, map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".snmprec")
		recs[name] = string(b)
		for _, line := range strings.Split(string(b), "\n") {
			if oid, _, ok := strings.Cut(line, "|"); ok && oid != sysUpTime {
				oids[name] = append(oids[name], oid)
			}
		}
	}
	return recs, oids
}

// pollers returns one ready connection set per recording.
func pollers(tb testing.TB, addr, version string, oids map[string][]string) (*Poller, []*conns) {
	p := New(Options{Namespace: "fp"})
	var cs []*conns
	names := make([]string, 0, len(oids))
	for n := range oids {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t := Target{Name: n, Address: addr, Auth: Auth{Version: version, Community: config.Secret(n)}, Timeout: 2 * time.Second,
			Request: Request{Get: append(oids[n], "1.3.6.1.2.1.1.9.9.0"), Uptime: true}} // one OID no agent has
		fill(&t)
		c := &conns{ctx: context.Background(), t: t, oids: dotted(t.Request)}
		tb.Cleanup(c.close)
		cs = append(cs, c)
	}
	return p, cs
}

// TestRecordingsThroughGosnmp: every OID of every recording, asked as a
// scalar GET over v1 (one missing OID fails the PDU: asked one by one) and
// v2c, is answered with its recorded value; the OID no agent has is
// missing, and the poll succeeds.
func TestRecordingsThroughGosnmp(t *testing.T) {
	recs, oids := recordings(t)
	sim := testenv.StartSNMPSim(t, recs, nil)
	for _, version := range []string{"1", "2c"} {
		p, cs := pollers(t, sim.Addr, version, oids)
		for _, c := range cs {
			r := p.pollOnce(c)
			name := "v" + version + " " + c.t.Name
			if r.Err != nil {
				t.Fatalf("%s: %v", name, r.Err)
			}
			wantMissing := []string{"1.3.6.1.2.1.1.9.9.0"} // and values recorded as NULL
			for _, line := range strings.Split(recs[c.t.Name], "\n") {
				if oid, rest, _ := strings.Cut(line, "|"); strings.HasPrefix(rest, "5|") {
					wantMissing = append(wantMissing, oid)
				}
			}
			sort.Strings(wantMissing)
			sort.Strings(r.Missing)
			if !reflect.DeepEqual(r.Missing, wantMissing) {
				t.Errorf("%s: missing %v, want %v", name, r.Missing, wantMissing)
			}
			for _, line := range strings.Split(recs[c.t.Name], "\n") {
				f := strings.SplitN(line, "|", 3)
				if len(f) != 3 {
					continue
				}
				v, ok := r.Values[f[0]]
				if f[1] == "5" || version == "1" && (f[1] == "70" || f[1] == "120" || f[1] == "128") {
					continue // NULL is missing; Counter64 and exceptions do not exist in v1
				}
				if !ok {
					t.Errorf("%s: %s not answered", name, f[0])
					continue
				}
				switch f[1] {
				case "2", "65", "66", "67", "70":
					want, _ := strconv.ParseFloat(f[2], 64)
					if got, err := v.Float(); err != nil || got != want {
						t.Errorf("%s: %s = %v (%v), recorded %s", name, f[0], got, err, f[2])
					}
				}
			}
			if f, _ := r.Values[sysUpTime].Float(); !r.HasUptime || float64(r.Uptime) != f {
				t.Errorf("%s: uptime %d (%v), sysUpTime %v", name, r.Uptime, r.HasUptime, f)
			}
		}
	}
}
