package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

const mainYML = `
defaults:
  host: {interval: 300ms, timeout: 100ms, down_after: 1, up_after: 1, burst: 1}
  website: {interval: 5s}
target_files: [hosts.csv, "sites/*.yml"]
`

// TestLoadErrors: every malformed input is reported with file:line.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		file string // written as hosts.csv or sites/a.yml
		body string
		want string // substring, with FILE for the path
	}{
		{"csv wrong field count", "hosts.csv", "host,address,unit\nh1,127.0.0.1,u\nh2,127.0.0.2\n", "FILE:3: 2 fields, header has 3"},
		{"csv bad address", "hosts.csv", "host,address\nh1,127.0.0.1\n\nh2,not-an-ip\n", "FILE:4: address: \"not-an-ip\" is not an IP address"},
		{"csv bad port", "hosts.csv", "host,address,tcp_ports\nh1,127.0.0.1,22;99999\n", "FILE:2: tcp_ports: invalid port 99999"},
		{"csv bad port text", "hosts.csv", "host,address,tcp_ports\nh1,127.0.0.1,ssh\n", "FILE:2: tcp_ports: invalid port \"ssh\""},
		{"csv bad duration", "hosts.csv", "host,address,interval\nh1,127.0.0.1,10x\n", "FILE:2: interval: invalid duration \"10x\""},
		{"csv timeout over interval", "hosts.csv", "host,address,interval,timeout\nh1,127.0.0.1,1s,2s\n", "FILE:2: timeout: must be positive and shorter"},
		{"csv unknown column", "hosts.csv", "host,address,colour\n", "FILE:1: unknown column \"colour\""},
		{"csv no kind column", "hosts.csv", "address,unit\n", "FILE:1: header needs a host column"},
		{"csv duplicate", "hosts.csv", "host,address\nh1,127.0.0.1\n# comment\nh1,127.0.0.1\n", "FILE:4: host: duplicate host h1 (127.0.0.1), first defined at FILE:2"},
		{"csv quote", "hosts.csv", "host,address\nh1,\"127.0.0.1\n", "FILE:2"},
		{"yaml unknown field", "sites/a.yml", "websites:\n  - url: http://127.0.0.1/\n    colour: red\n", "FILE:3: field colour not found"},
		{"yaml bad url", "sites/a.yml", "websites:\n  - url: http://127.0.0.1/\n  - url: ftp://x/\n", "FILE:3: websites[1].url: \"ftp://x/\" must start with http"},
		{"yaml bad status", "sites/a.yml", "websites:\n  - url: http://127.0.0.1/\n    valid_status: [\"2xx\"]\n", "FILE:3: websites[0].valid_status: invalid status"},
		{"yaml bad regexp", "sites/a.yml", "websites:\n  - url: http://127.0.0.1/\n    body_regexp: \"(\"\n", "FILE:3: websites[0].body_regexp"},
		{"yaml head with regexp", "sites/a.yml", "websites:\n  - url: http://127.0.0.1/\n    method: HEAD\n    body_regexp: x\n", "needs method GET"},
		{"yaml hosts", "sites/a.yml", "hosts:\n  - host: a\n    address: 127.0.0.1\n    up_when: some\n", "FILE:4: hosts[0].up_when: must be all or any"},
		{"yaml syntax", "sites/a.yml", "websites:\n  - url: [\n", "FILE:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "uptime.yml"), mainYML)
			writeFile(t, filepath.Join(dir, "hosts.csv"), "host,address\n")
			mkdir(t, filepath.Join(dir, "sites"))
			writeFile(t, filepath.Join(dir, tc.file), tc.body)
			_, err := loadConfig(filepath.Join(dir, "uptime.yml"), shard{0, 1})
			if err == nil {
				t.Fatal("no error")
			}
			want := strings.ReplaceAll(tc.want, "FILE", filepath.Join(dir, tc.file))
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q\n does not contain %q", err, want)
			}
		})
	}
}

func TestLoadTargets(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), mainYML+`
hosts:
  - {host: inline, address: 127.0.0.9, tcp_ports: [22]}
`)
	// A CMDB export: BOM, Chinese headers, comments, blank line, per-target settings.
	writeFile(t, filepath.Join(dir, "hosts.csv"), "\ufeff主机,IP地址,使用单位,云服务商,业务系统,站点,线路,tcp_ports,interval,icmp\n"+
		"# exported 2026-11-01\n"+
		"db-01,127.0.0.2,市卫健委,华为云,医保,dc1,电信专线,22 3389,5s,\n"+
		"\n"+
		"win-01,127.0.0.3,市教育局,阿里云,教务,dc2,,3389,,否\n")
	mkdir(t, filepath.Join(dir, "sites"))
	writeFile(t, filepath.Join(dir, "sites", "a.yml"), `
websites:
  - url: https://www.example.gov.cn/
    unit: 市政府办公厅
    system: 门户网站
    valid_status: ["200", "301-302"]
    headers: {Authorization: "Bearer xyz"}
`)
	cfg, err := loadConfig(filepath.Join(dir, "uptime.yml"), shard{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.hosts) != 3 || len(cfg.websites) != 1 {
		t.Fatalf("%d hosts, %d websites", len(cfg.hosts), len(cfg.websites))
	}
	h := cfg.hosts[1]
	if got := strings.Join(h.labels, ","); got != "db-01,127.0.0.2,市卫健委,华为云,医保,dc1,电信专线" {
		t.Errorf("labels %s", got)
	}
	if h.interval != 5*time.Second || fmt.Sprint(h.ports) != "[22 3389]" || !h.icmp {
		t.Errorf("settings %+v", h)
	}
	if w := cfg.hosts[2]; w.icmp || w.interval != 300*time.Millisecond {
		t.Errorf("win-01: icmp %v interval %v", w.icmp, w.interval)
	}
	ws := cfg.websites[0]
	if !ws.statusOK(200) || !ws.statusOK(302) || ws.statusOK(303) || ws.rule.DownAfter != 3 {
		t.Errorf("website %+v", ws)
	}
	if s := fmt.Sprintf("%v", ws.headers); strings.Contains(s, "xyz") {
		t.Errorf("secret header printed: %s", s)
	}
}

func TestShard(t *testing.T) {
	if _, err := parseShard("3/3"); err == nil {
		t.Error("3/3 accepted")
	}
	if _, err := parseShard("x"); err == nil {
		t.Error("x accepted")
	}
	const n = 3000
	var b strings.Builder
	b.WriteString("host,address\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "h%d,127.1.%d.%d\n", i, i/250, i%250+1)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), mainYML)
	writeFile(t, filepath.Join(dir, "hosts.csv"), b.String())
	seen := map[string]int{}
	for i := 0; i < 3; i++ {
		cfg, err := loadConfig(filepath.Join(dir, "uptime.yml"), shard{i, 3})
		if err != nil {
			t.Fatal(err)
		}
		if k := len(cfg.hosts); k < n/3*8/10 || k > n/3*12/10 {
			t.Errorf("shard %d/3 has %d hosts", i, k)
		}
		for _, h := range cfg.hosts {
			seen[h.id]++
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct hosts over shards, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%q in %d shards", id, c)
		}
	}
}

// TestReload: a target file with one host added and one removed keeps the
// counters of the others; a malformed line leaves the previous set active.
// The file watcher does the reload.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), mainYML)
	mkdir(t, filepath.Join(dir, "sites"))
	writeFile(t, filepath.Join(dir, "hosts.csv"), "host,address,unit\nh1,10.0.0.1,u\nh2,10.0.0.2,u\nh3,10.0.0.3,u\n")
	s, reg := startService(t, dir, options{shard: shard{0, 1}})
	h1 := s.hostByName("h1")
	testenv.WaitFor(t, 3*time.Second, "h1 observed 1s", func() bool { return h1.tracker.Snapshot(time.Now()).ObservedSeconds >= 1 })
	p1, _ := h1.probes("icmp")
	obs1 := h1.tracker.Snapshot(time.Now()).ObservedSeconds

	// h3 removed, h4 added.
	writeFile(t, filepath.Join(dir, "hosts.csv"), "host,address,unit\nh1,10.0.0.1,u\nh2,10.0.0.2,u\nh4,10.0.0.4,u\n")
	testenv.WaitFor(t, 3*time.Second, "h4 added", func() bool { return s.hostByName("h4") != nil })
	if s.hostByName("h3") != nil {
		t.Error("h3 still probed")
	}
	if _, ok := metricValue(t, reg, "host_observed_seconds_total", "host=h3"); ok {
		t.Error("h3 still exported")
	}
	if s.hostByName("h1") != h1 {
		t.Error("h1 was replaced")
	}
	p2, _ := h1.probes("icmp")
	obs2 := h1.tracker.Snapshot(time.Now()).ObservedSeconds
	if p2 < p1 || obs2 < obs1 {
		t.Errorf("h1 counters went back: probes %d→%d observed %.1f→%.1f", p1, p2, obs1, obs2)
	}
	if v, _ := metricValue(t, reg, "host_observed_seconds_total", "host=h1"); v < obs1 {
		t.Errorf("exported h1 observed %.2f < %.2f", v, obs1)
	}

	// A malformed line: error names file:line, the previous set stays.
	bad := "host,address,unit\nh1,10.0.0.1,u\nh5,10.0.0.5\nh4,10.0.0.4,u\n"
	writeFile(t, filepath.Join(dir, "hosts.csv"), bad)
	_, err := s.Load(filepath.Join(dir, "uptime.yml"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "hosts.csv")+":3:") {
		t.Fatalf("error %v does not name hosts.csv:3", err)
	}
	time.Sleep(time.Second) // the watcher saw it and kept the old set
	for _, n := range []string{"h1", "h2", "h4"} {
		if s.hostByName(n) == nil {
			t.Errorf("%s dropped after a failed reload", n)
		}
	}
	if s.hostByName("h5") != nil {
		t.Error("h5 from the bad file is probed")
	}
	if v, _ := metricValue(t, reg, "uptime_targets", "kind=host"); v != 3 {
		t.Errorf("uptime_targets{kind=host} = %v", v)
	}
	p3, _ := h1.probes("icmp")
	time.Sleep(700 * time.Millisecond)
	if p4, _ := h1.probes("icmp"); p4 <= p3 {
		t.Error("h1 no longer probed after a failed reload")
	}
	if st := h1.tracker.State(); st != avail.Up {
		t.Errorf("h1 %v", st)
	}
}

func mkdir(t *testing.T, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestExampleConfigs: the demo config and the deploy example load.
func TestExampleConfigs(t *testing.T) {
	pki := newTestPKI(t)
	dir := t.TempDir()
	for _, f := range []string{"hosts.csv", "websites.yml"} {
		data, err := os.ReadFile(filepath.Join("demo", f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, f), string(data))
	}
	data, err := os.ReadFile(filepath.Join("demo", "uptime.yml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "uptime.yml"), strings.ReplaceAll(string(data), "/tmp/jianguan-demo/ca.pem", pki.caFile))
	cfg, err := loadConfig(filepath.Join(dir, "uptime.yml"), shard{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.hosts) < 300 || len(cfg.websites) != 12 {
		t.Errorf("demo: %d hosts, %d websites", len(cfg.hosts), len(cfg.websites))
	}
	deploy := filepath.Join("..", "..", "deploy", "etc", "jianguan", "uptime.yml")
	if _, err := os.Stat(deploy); err == nil {
		if _, err := loadConfig(deploy, shard{0, 1}); err != nil {
			t.Errorf("deploy example: %v", err)
		}
	}
}

// TestTargetMaintenance: target_maintenance windows apply only to the
// targets whose labels match, on top of the global windows; the trackers
// report in_maintenance accordingly; bad entries name file and line.
func TestTargetMaintenance(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	now := time.Now().In(sh)
	win := fmt.Sprintf("{start: %q, end: %q}", now.Add(-time.Hour).Format("2006-01-02 15:04"), now.Add(time.Hour).Format("2006-01-02 15:04"))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), mainYML+`
target_maintenance:
  - match: {unit: 市财政局}
    windows: [`+win+`]
  - match: {host: db-02, site: dc2}
    windows: [`+win+`]
  - match: {url: "http://127.0.0.1:1/"}
    windows: [`+win+`]
`)
	writeFile(t, filepath.Join(dir, "hosts.csv"), "host,address,unit,site\n"+
		"db-01,127.0.0.2,市财政局,dc1\n"+ // unit matches
		"db-02,127.0.0.3,市教育局,dc2\n"+ // host and site match
		"db-03,127.0.0.4,市教育局,dc1\n"+ // host matches, site does not
		"db-02x,127.0.0.5,市教育局,dc2\n") // no match
	mkdir(t, filepath.Join(dir, "sites"))
	writeFile(t, filepath.Join(dir, "sites", "a.yml"), `
websites:
  - {url: "http://127.0.0.1:1/", unit: 市教育局}
  - {url: "http://127.0.0.1:2/", unit: 市财政局}
  - {url: "http://127.0.0.1:3/", unit: 市教育局}
`)
	cfg, err := loadConfig(filepath.Join(dir, "uptime.yml"), shard{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"db-01": true, "db-02": true, "db-03": false, "db-02x": false,
		"http://127.0.0.1:1/": true, "http://127.0.0.1:2/": true, "http://127.0.0.1:3/": false}
	fam := avail.NewFamily(avail.FamilyOpts{Namespace: "t", Labels: hostLabels})
	for _, h := range cfg.hosts {
		if got := cfg.calendar(hostLabels, h.labels).Active(now); got != want[h.labels[0]] {
			t.Errorf("host %s in maintenance = %v, want %v", h.labels[0], got, want[h.labels[0]])
		}
		tr := fam.Tracker(h.rule, cfg.calendar(hostLabels, h.labels), h.labels...)
		tr.Observe(now, avail.Up)
		if got := tr.Snapshot(now).InMaintenance; got != want[h.labels[0]] {
			t.Errorf("host %s tracker in maintenance = %v, want %v", h.labels[0], got, want[h.labels[0]])
		}
	}
	for _, w := range cfg.websites {
		if got := cfg.calendar(websiteLabels, w.labels).Active(now); got != want[w.url] {
			t.Errorf("website %s in maintenance = %v, want %v", w.url, got, want[w.url])
		}
	}
	if cfg.calendar(hostLabels, cfg.hosts[0].labels).Active(now.Add(3 * time.Hour)) {
		t.Error("window still active after its end")
	}

	for _, tc := range []struct{ body, want string }{
		{"target_maintenance:\n  - windows: [" + win + "]\n", ":3: target_maintenance[0].match: needs at least one label"},
		{"target_maintenance:\n  - match: {colour: red}\n    windows: [" + win + "]\n", ":3: target_maintenance[0].match: unknown label \"colour\""},
		{"target_maintenance:\n  - match: {unit: x}\n", ":3: target_maintenance[0].windows: needs at least one window"},
		{"target_maintenance:\n  - match: {unit: x}\n    windows: [{weekdays: [sun], from: \"25:00\", to: \"02:00\"}]\n", ":4: target_maintenance[0].windows"},
	} {
		writeFile(t, filepath.Join(dir, "uptime.yml"), "target_files: [hosts.csv]\n"+tc.body)
		_, err := loadConfig(filepath.Join(dir, "uptime.yml"), shard{0, 1})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "uptime.yml")+tc.want) {
			t.Errorf("error %v, want it to contain %q", err, tc.want)
		}
	}
}
