package report_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/testutil"
)

const pdfTestHTML = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>@page { size: A4; margin: 14mm; }
body { font-family: "Noto Sans CJK SC", sans-serif; }</style></head><body><h1>数据机房线路检查与巡检运行情况月度工作报告</h1><p>render MARKER</p></body></html>`

// pdfText renders one document with marker and checks pdftotext sees the
// Chinese heading and the marker.
func pdfText(t *testing.T, p *report.PDFRenderer, marker string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pdf, err := p.HTMLToPDF(ctx, []byte(strings.Replace(pdfTestHTML, "MARKER", marker, 1)))
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	os.WriteFile(f, pdf, 0o644)
	out, err := exec.Command(testutil.Need(t, "pdftotext"), f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"数据机房线路检查与巡检运行情况月度工作报告", "render " + marker} {
		if !strings.Contains(string(out), want) {
			t.Errorf("PDF text lacks %q:\n%s", want, out)
		}
	}
}

// processesOf lists the live processes whose environment holds HOME=dir
// (every process of the browser inherits it) or whose process group is pgid.
func processesOf(dir string, pgid int) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		inGroup := false
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 {
			f := strings.Fields(string(stat)[i+1:])
			// state ppid pgrp …; zombies are gone for our purpose
			inGroup = len(f) > 2 && f[0] != "Z" && pgid > 0 && f[2] == strconv.Itoa(pgid)
		}
		if inGroup || (dir != "" && strings.Contains(string(env), "HOME="+dir+"\x00")) {
			cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			out = append(out, e.Name()+" "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return out
}

func waitNoProcesses(t *testing.T, dir string, pgid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := processesOf(dir, pgid)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromium processes left behind: %v", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func newTestRenderer(t *testing.T) *report.PDFRenderer {
	testutil.Need(t, "chromium")
	testutil.Need(t, "pdftotext")
	p := report.NewPDFRenderer("", 2)
	t.Cleanup(func() { p.Close() })
	return p
}

// The browser starts lazily and two renders (then three concurrent ones)
// are printed by one browser process.
func TestPDFRendererSharesOneBrowser(t *testing.T) {
	p := newTestRenderer(t)
	if p.PID() != 0 {
		t.Fatal("browser started before the first render")
	}
	pdfText(t, p, "one")
	pid := p.PID()
	if pid == 0 {
		t.Fatal("no browser after a render")
	}
	pdfText(t, p, "two")
	if got := p.PID(); got != pid {
		t.Fatalf("second render used browser %d, first %d", got, pid)
	}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pdfText(t, p, "concurrent"+strconv.Itoa(i))
		}(i)
	}
	wg.Wait()
	if got := p.PID(); got != pid {
		t.Fatalf("concurrent renders used browser %d, first %d", got, pid)
	}
}

// A browser killed between renders is replaced on the next render, which
// still gives a correct PDF; the dead browser's processes and directory are
// cleaned up.
func TestPDFRendererRestartsKilledBrowser(t *testing.T) {
	p := newTestRenderer(t)
	pdfText(t, p, "before")
	pid, dir := p.PID(), p.TempDir()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitNoProcesses(t, dir, pid)
	pdfText(t, p, "after")
	if np := p.PID(); np == 0 || np == pid {
		t.Fatalf("browser not restarted: pid %d → %d", pid, np)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("dead browser's directory %s not removed: %v", dir, err)
	}
}

// Close kills every process of the browser and removes its directory.
func TestPDFRendererCloseLeavesNoProcess(t *testing.T) {
	p := newTestRenderer(t)
	pdfText(t, p, "x")
	pid, dir := p.PID(), p.TempDir()
	if n := len(processesOf(dir, pid)); n < 2 {
		t.Fatalf("expected the browser and its helpers, found %d processes", n)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	waitNoProcesses(t, dir, pid)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory %s not removed: %v", dir, err)
	}
	if _, err := p.HTMLToPDF(context.Background(), []byte(pdfTestHTML)); err == nil {
		t.Error("render after Close succeeded")
	}
}

// A page that never finishes loading (its script never returns) runs into
// the context deadline: ErrTimeout, and the renderer still works
// afterwards.
func TestPDFRendererTimeout(t *testing.T) {
	p := newTestRenderer(t)
	pdfText(t, p, "warm")
	html := `<!DOCTYPE html><html><body><p>slow</p><script>for (;;) {}</script></body></html>`
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	st := time.Now()
	_, err := p.HTMLToPDF(ctx, []byte(html))
	if err == nil || report.KindOf(err) != report.ErrTimeout {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	if d := time.Since(st); d > 10*time.Second {
		t.Errorf("timeout honoured late: %v", d)
	}
	pdfText(t, p, "after-timeout")
}

// A process killed with SIGKILL cannot call Close: its browser must still
// go (Pdeathsig on the browser, whose helpers follow it). The test re-runs
// this test binary as that process.
func TestPDFRendererDiesWithParent(t *testing.T) {
	if os.Getenv("JIANGUAN_PDF_CHILD") == "1" {
		p := report.NewPDFRenderer("", 1)
		if _, err := p.HTMLToPDF(context.Background(), []byte(pdfTestHTML)); err != nil {
			os.Stdout.WriteString("ERR " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("DIR " + p.TempDir() + " " + strconv.Itoa(p.PID()) + "\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	testutil.Need(t, "chromium")
	cmd := exec.Command(os.Args[0], "-test.run=^TestPDFRendererDiesWithParent$")
	cmd.Env = append(os.Environ(), "JIANGUAN_PDF_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var line string
	buf := make([]byte, 4096)
	for !strings.Contains(line, "\n") {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatalf("child: %v %q", err, line)
		}
		line += string(buf[:n])
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "DIR" {
		t.Fatalf("child: %q", line)
	}
	dir := f[1]
	pid, _ := strconv.Atoi(f[2])
	defer os.RemoveAll(dir)
	if len(processesOf(dir, pid)) == 0 {
		t.Fatal("child's browser not found")
	}
	cmd.Process.Kill()
	cmd.Wait()
	waitNoProcesses(t, dir, pid)
}

// NewPage gives a tab of the renderer's browser that takes raw CDP commands
// (the Grafana app's e2e test drives the app with them): params and results
// go through encoding/json, json.RawMessage included, and a protocol error
// is an error.
func TestPDFRendererPage(t *testing.T) {
	p := newTestRenderer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	pg, err := p.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if p.PID() == 0 {
		t.Fatal("NewPage started no browser")
	}
	var nav struct {
		FrameID   string `json:"frameId"`
		ErrorText string `json:"errorText"`
	}
	if err := pg.Do(ctx, "Page.navigate", map[string]any{"url": "data:text/html;charset=utf-8,<p id=x>页面 42</p>"}, &nav); err != nil {
		t.Fatal(err)
	}
	if nav.FrameID == "" || nav.ErrorText != "" {
		t.Fatalf("Page.navigate: %+v", nav)
	}
	// The navigation commits asynchronously: poll until the new document
	// is there (an evaluation in the old one may fail while it goes).
	for {
		var ev struct {
			Result struct {
				Value string `json:"value"`
			} `json:"result"`
		}
		err := pg.Do(ctx, "Runtime.evaluate", map[string]any{
			"expression": `document.readyState + "|" + (document.getElementById("x") || {}).textContent`, "returnByValue": true}, &ev)
		if err == nil && ev.Result.Value == "complete|页面 42" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("page not loaded: %q %v", ev.Result.Value, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	type evalResult struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	for _, c := range []struct {
		name, method string
		params       any
		value        string // the result's value as JSON; "" when none
		exception    bool
		fails        bool
	}{
		{"value", "Runtime.evaluate", map[string]any{"expression": `({n: 1 + 2, s: document.getElementById("x").textContent})`, "returnByValue": true}, `{"n":3,"s":"页面 42"}`, false, false},
		{"promise awaited", "Runtime.evaluate", map[string]any{"expression": `Promise.resolve([1, "二"])`, "returnByValue": true, "awaitPromise": true}, `[1,"二"]`, false, false},
		{"exception", "Runtime.evaluate", map[string]any{"expression": `(() => { throw new Error("boom") })()`, "returnByValue": true}, "", true, false},
		{"no params", "Page.bringToFront", nil, "", false, false},
		{"unknown method", "No.suchMethod", map[string]any{}, "", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var res evalResult
			err := pg.Do(ctx, c.method, c.params, &res)
			if c.fails {
				if err == nil {
					t.Fatalf("%s succeeded", c.method)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Compared decoded: Chromium escapes non-ASCII text (\uXXXX).
			var got, want any
			if c.value != "" {
				if err := json.Unmarshal(res.Result.Value, &got); err != nil {
					t.Fatalf("value %s: %v", res.Result.Value, err)
				}
				json.Unmarshal([]byte(c.value), &want)
			} else if len(res.Result.Value) > 0 {
				t.Fatalf("value %s, want none", res.Result.Value)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("value %s, want %s", res.Result.Value, c.value)
			}
			if (res.ExceptionDetails != nil) != c.exception {
				t.Errorf("exception details %+v, want an exception: %v", res.ExceptionDetails, c.exception)
			}
		})
	}
}
