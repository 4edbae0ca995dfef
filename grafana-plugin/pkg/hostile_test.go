package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/fakeprom"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// callErr is call for requests the plugin may refuse at the gRPC level (an
// app instance that cannot be created): it returns the stream error.
func (g *grafana) callErr(pc *pluginv2.PluginContext, method, path string) (resp, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stream, err := g.res.CallResource(ctx, &pluginv2.CallResourceRequest{PluginContext: pc, Path: strings.TrimPrefix(path, "/"), Method: method, Url: path})
	if err != nil {
		return resp{}, err
	}
	var r resp
	for first := true; ; first = false {
		m, err := stream.Recv()
		if err == io.EOF {
			return r, nil
		}
		if err != nil {
			return r, err
		}
		if first {
			r.code = int(m.Code)
		}
		r.body = append(r.body, m.Body...)
	}
}

// TestHostile_ViewerCannotFreeze: every write checks the role Grafana sends
// in the PluginContext: a Viewer or an Editor cannot freeze (403 naming the
// role needed), a user without a role cannot read, an Admin can freeze — and
// an Admin's freeze of a period without data is refused (本期无监测数据) and
// writes nothing.
func TestHostile_ViewerCannotFreeze(t *testing.T) {
	g := startPlugin(t, buildPlugin(t))
	fp := fakeprom.Start(t, fakeprom.Empty)
	snap := t.TempDir()
	js := map[string]any{"prometheusUrl": fp.URL, "snapshotDir": snap}
	for _, c := range []struct {
		role, method, path string
		code               int
		want               string
	}{
		{"Viewer", "GET", "/reports", 200, `"canFreeze": false`},
		{"Editor", "GET", "/reports", 200, `"canFreeze": false`},
		{"Admin", "GET", "/reports", 200, `"canFreeze": true`},
		{"Viewer", "POST", "/reports/lines/2026-10/freeze", 403, "needs the Grafana organisation role Admin or higher (your role: Viewer)"},
		{"Editor", "POST", "/reports/lines/2026-10/freeze", 403, "needs the Grafana organisation role Admin or higher (your role: Editor)"},
		{"None", "POST", "/reports/lines/2026-10/freeze", 403, "role Viewer or higher (your role: None)"},
		{"", "GET", "/reports/lines/2026-10.json", 403, "role Viewer or higher (your role: none)"},
		{"None", "GET", "/reports", 403, "role Viewer or higher"},
		{"Viewer", "GET", "/reports/lines/2026-10.json", 404, "本期无监测数据"},
		{"Admin", "POST", "/reports/lines/2026-10/freeze", 404, "no monitoring data for the period 2026-10"},
	} {
		r := g.call(t, pctxAs(10, c.role, js), c.method, c.path)
		if r.code != c.code || !bytes.Contains(r.body, []byte(c.want)) {
			t.Errorf("%s %s %s: %d %s (want %d %q)", c.role, c.method, c.path, r.code, r.body, c.code, c.want)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(snap, "lines")); len(ents) != 0 {
		t.Errorf("snapshot files written: %v", ents)
	}
}

// TestHostile_PluginSettingsBounds: overflowing or out-of-range settings
// are refused with a message naming the setting and its range.
func TestHostile_PluginSettingsBounds(t *testing.T) {
	g := startPlugin(t, buildPlugin(t))
	fp := fakeprom.Start(t, fakeprom.Empty)
	for i, c := range []struct {
		key  string
		val  any
		want string
	}{
		{"timeoutSeconds", 1e300, "jsonData.timeoutSeconds = 1e+300: want 1 … 600 seconds"},
		{"timeoutSeconds", 9.3e9, "want 1 … 600 seconds"},
		{"timeoutSeconds", -1, "want 1 … 600 seconds"},
		{"timeoutSeconds", 0.001, "want 1 … 600 seconds"},
		{"monthsOffered", 1000000000, "jsonData.monthsOffered = 1000000000: want 1 … 120"},
		{"monthsOffered", -3, "jsonData.monthsOffered = -3"},
		{"maxAnswerMiB", 1 << 20, "jsonData.maxAnswerMiB = 1048576: want 1 … 1024"},
		{"maxConcurrentQueries", 1000, "jsonData.maxConcurrentQueries = 1000: want 1 … 32"},
		{"slaTarget", 1.5, "jsonData.slaTarget = 1.5"},
		{"jsonDecoder", "simd", `jsonData.jsonDecoder = "simd": want "fast" (default) or "std"`},
	} {
		pc := pctx(int64(100+i), map[string]any{"prometheusUrl": fp.URL, c.key: c.val})
		r, err := g.callErr(pc, "GET", "/reports")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%v: %v %d %s (want an error %q)", c.key, c.val, err, r.code, r.body, c.want)
		}
	}
	// Within the bounds: accepted (the std decoder too), and monthsOffered is honoured.
	r := g.call(t, pctx(200, map[string]any{"prometheusUrl": fp.URL, "monthsOffered": 120, "timeoutSeconds": 600, "jsonDecoder": "std"}), "GET", "/reports")
	var l struct{ Months []any }
	json.Unmarshal(r.body, &l)
	if r.code != 200 || len(l.Months) != 120 {
		t.Errorf("monthsOffered=120: %d, %d months", r.code, len(l.Months))
	}
}

// TestHostile_PluginAuthorizationScrubbed: an upstream that quotes the
// request's Authorization header (basic auth: base64 of user:password) in
// its error does not get it into the report error or the health message.
func TestHostile_PluginAuthorizationScrubbed(t *testing.T) {
	g := startPlugin(t, buildPlugin(t))
	fp := fakeprom.Start(t, fakeprom.EchoAuth)
	b64 := base64.StdEncoding.EncodeToString([]byte("grafana:" + secretPW))
	pc := pctx(20, map[string]any{"prometheusUrl": fp.URL, "basicAuthUser": "grafana"})
	r := g.call(t, pc, "GET", "/reports/lines/2026-10.json")
	var e struct{ Error string }
	json.Unmarshal(r.body, &e)
	if r.code != 502 || bytes.Contains(r.body, []byte(b64)) || !strings.Contains(e.Error, "Authorization: Basic <redacted>") {
		t.Errorf("report: %d %s", r.code, r.body)
	}
	h, err := g.diag.CheckHealth(context.Background(), &pluginv2.CheckHealthRequest{PluginContext: pc})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.Message, b64) || strings.Contains(h.Message, secretPW) || !strings.Contains(h.Message, "<redacted>") {
		t.Errorf("health: %s", h.Message)
	}
	// Bearer token and a password in the URL.
	pc = pctx(21, map[string]any{"prometheusUrl": strings.Replace(fp.URL, "http://", "http://u:"+secretPW+"@", 1)})
	r = g.call(t, pc, "GET", "/reports/hosts/2026-10.csv")
	if r.code != 502 || bytes.Contains(r.body, []byte(base64.StdEncoding.EncodeToString([]byte("u:"+secretPW)))) {
		t.Errorf("url credentials: %d %s", r.code, r.body)
	}
}

// TestHostile_PluginHugeAnswer: 200 MB answers inside Grafana's host: the
// plugin answers 502 「查询结果过大」 naming a query and the limit, and its
// peak RSS (VmHWM) stays bounded.
func TestHostile_PluginHugeAnswer(t *testing.T) {
	g := startPlugin(t, buildPlugin(t))
	fp := fakeprom.Start(t, fakeprom.Huge)
	r := g.call(t, pctx(30, map[string]any{"prometheusUrl": fp.URL}), "GET", "/reports/providers/2026-10.json")
	hwm := testutil.PeakRSS(t, g.cmd.Process.Pid)
	t.Logf("plugin: %d %s; VmHWM %d MiB; %d requests, %d MB sent", r.code, r.body, hwm>>20, fp.Requests(), fp.BytesSent()/1e6)
	if r.code != 502 || !bytes.Contains(r.body, []byte("查询结果过大")) || !bytes.Contains(r.body, []byte("limit is 64 MiB per answer")) {
		t.Errorf("huge: %d %s", r.code, r.body)
	}
	if hwm>>20 > 400 {
		t.Errorf("plugin peak RSS %d MiB > 400 MiB", hwm>>20)
	}
}

// TestHostile_PluginConcurrentFreeze: N concurrent freezes of one month
// through the plugin → exactly one succeeds; every other one gets 409 with
// the same SHA-256, which is the snapshot on disk; the CLI, freezing the
// same file, goes through the same store and is refused with that hash.
func TestHostile_PluginConcurrentFreeze(t *testing.T) {
	bin := buildPlugin(t)
	url := testenv.StartTestScenario(t)
	g := startPlugin(t, bin)
	snap := t.TempDir()
	fillNarrative(t, snap, "lines", "2026-10") // a freeze needs the editable sections
	const n = 6
	var wg sync.WaitGroup
	rs := make([]resp, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Different orgs: different app instances, one snapshot directory.
			rs[i] = g.call(t, pctx(int64(40+i), map[string]any{"prometheusUrl": url, "snapshotDir": snap}), "POST", "/reports/lines/2026-10/freeze")
		}(i)
	}
	wg.Wait()
	var ok []string
	hashes := map[string]int{}
	for i, r := range rs {
		var b struct{ SHA256, Error string }
		json.Unmarshal(r.body, &b)
		switch r.code {
		case 200:
			ok = append(ok, b.SHA256)
		case 409:
			if !strings.Contains(b.Error, "already frozen") {
				t.Errorf("freeze %d: 409 %s", i, r.body)
			}
		default:
			t.Errorf("freeze %d: %d %s", i, r.code, r.body)
		}
		hashes[b.SHA256]++
	}
	if len(ok) != 1 || len(hashes) != 1 || len(ok[0]) != 64 {
		t.Fatalf("%d freezes succeeded %v; hashes %v (want one success and one hash)", len(ok), ok, hashes)
	}
	onDisk, _ := os.ReadFile(filepath.Join(snap, "lines", "2026-10.json"))
	if !bytes.Contains(onDisk, []byte(`"sha256": "`+ok[0]+`"`)) {
		t.Errorf("snapshot on disk has not the winner's hash %s", ok[0])
	}
	// The CLI on the same file: refused with the same hash, file unchanged.
	cli := filepath.Join(t.TempDir(), "jianguan-report")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", cli, "../../cmd/jianguan-report").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v %s", err, out)
	}
	out, err := exec.Command(cli, "--prometheus.url="+url, "--kind=lines", "--month=2026-10", "--freeze="+filepath.Join(snap, "lines", "2026-10.json"), "-o", os.DevNull).CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("already frozen")) || !bytes.Contains(out, []byte(ok[0])) {
		t.Errorf("CLI freeze of a frozen month: %v %s", err, out)
	}
	after, _ := os.ReadFile(filepath.Join(snap, "lines", "2026-10.json"))
	if !bytes.Equal(onDisk, after) {
		t.Error("the CLI changed a frozen snapshot")
	}
}
