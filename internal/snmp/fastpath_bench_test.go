package snmp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/snmp/snmpsimtest"
)

// The side-by-side benchmark of issue 23 (make bench-fastpaths): polls of
// the env_exporter conformance recordings (exporters/env_exporter/testdata,
// real device answers) served by snmpsimd, every recorded OID as a scalar
// GET (as env_exporter asks a profile's sensors) plus sysUpTime, with the
// lean BER client ("own", ClientFast) and gosnmp ("lib", ClientGosnmp).
// Wall time is snmpsimd's; what the client costs is this process' CPU per
// poll (cpu-ns/op, getrusage user + system), which make bench-fastpaths
// compares.

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

// pollers returns one ready connection set per recording, for the client.
func pollers(tb testing.TB, addr, version string, oids map[string][]string, client string) (*Poller, []*conns) {
	p := New(Options{Namespace: "fp", Client: client})
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

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkFastpath(b *testing.B) {
	recs, oids := recordings(b)
	sim := snmpsimtest.Start(b, recs, nil)
	for _, mode := range []struct{ name, client string }{{"own", ClientFast}, {"lib", ClientGosnmp}} {
		b.Run(fmt.Sprintf("snmp/get_%d_recordings/%s", len(recs), mode.name), func(b *testing.B) {
			p, cs := pollers(b, sim.Addr, "2c", oids, mode.client)
			b.ReportAllocs()
			cpu0, polls := cpuNow(), 0
			for b.Loop() {
				for _, c := range cs {
					if r := p.pollOnce(c); r.Err != nil {
						b.Fatalf("%s: %v", c.t.Name, r.Err)
					}
					polls++
				}
			}
			b.ReportMetric(float64(cpuNow()-cpu0)/float64(polls), "cpu-ns/poll")
			b.ReportMetric(float64(len(cs)), "devices")
		})
	}
}

// TestClientsAgree: the two GET clients Options.Client selects give the
// same values, missing OIDs and uptime for every recording, over v1 (one
// PDU fails for a missing OID: asked one by one) and v2c.
func TestClientsAgree(t *testing.T) {
	recs, oids := recordings(t)
	sim := snmpsimtest.Start(t, recs, nil)
	for _, version := range []string{"1", "2c"} {
		pf, fast := pollers(t, sim.Addr, version, oids, ClientFast)
		pg, slow := pollers(t, sim.Addr, version, oids, ClientGosnmp)
		for i := range fast {
			a, b := pf.pollOnce(fast[i]), pg.pollOnce(slow[i])
			name := "v" + version + " " + fast[i].t.Name
			if a.Err != nil || b.Err != nil {
				t.Fatalf("%s: fast %v, gosnmp %v", name, a.Err, b.Err)
			}
			sort.Strings(a.Missing)
			sort.Strings(b.Missing)
			if !reflect.DeepEqual(a.Values, b.Values) || !reflect.DeepEqual(a.Missing, b.Missing) || a.Uptime != b.Uptime || a.HasUptime != b.HasUptime {
				t.Errorf("%s:\nfast   %v missing %v uptime %d\ngosnmp %v missing %v uptime %d", name, a.Values, a.Missing, a.Uptime, b.Values, b.Missing, b.Uptime)
			}
			if len(a.Values) < len(oids[fast[i].t.Name])/2 || len(a.Missing) == 0 {
				t.Errorf("%s: %d values, %d missing: the recording was not answered", name, len(a.Values), len(a.Missing))
			}
		}
	}
}

// TestClientSetting: the setting takes "", fast and gosnmp and names the
// choices otherwise.
func TestClientSetting(t *testing.T) {
	for in, want := range map[string]string{"": ClientFast, "fast": ClientFast, "gosnmp": ClientGosnmp} {
		if got, err := ParseClient(in); err != nil || got != want {
			t.Errorf("ParseClient(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseClient("netsnmp"); err == nil || !strings.Contains(err.Error(), `"gosnmp" or "fast"`) {
		t.Errorf("ParseClient(netsnmp) = %v, want the choices named", err)
	}
}
