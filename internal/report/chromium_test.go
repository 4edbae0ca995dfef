package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/testutil"
)

// probeJS measures the laid-out page at A4 width (794 CSS px) and writes
// the result into the DOM, which --dump-dom prints.
const probeJS = `<script>
window.addEventListener('load', function () {
  var de = document.documentElement, r = {};
  r.docOverflow = de.scrollWidth - de.clientWidth;
  r.wide = [];
  document.querySelectorAll('main, section, table, svg, h1, h2, p').forEach(function (el) {
    var b = el.getBoundingClientRect();
    if (b.right > de.clientWidth + 1 || b.left < -1) { r.wide.push(el.tagName + '#' + el.id + ':' + Math.round(b.right)); }
  });
  r.charts = 0;
  document.querySelectorAll('svg.chart').forEach(function (s) { var b = s.getBoundingClientRect(); if (b.width > 100 && b.height > 20 && s.querySelectorAll('rect.bar').length > 0) { r.charts++; } });
  r.cjkFont = document.fonts.check('16px "Noto Sans CJK SC"');
  var h1 = document.getElementById('title');
  r.h1 = h1 ? h1.firstChild.textContent : '';
  // A CJK heading rendered with real glyphs is ~1 em per character wide.
  var probe = document.createElement('span'); probe.style.fontSize = '20px'; probe.textContent = '数据机房线路'; document.body.appendChild(probe);
  r.cjkWidth = probe.getBoundingClientRect().width;
  var pre = document.createElement('pre'); pre.id = 'probe-result'; pre.textContent = JSON.stringify(r); document.body.appendChild(pre);
});
</script></body>`

func chromiumArgs(dir string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost", "--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=794,1123"}
}

// checkHTMLInChromium loads the HTML report in headless Chromium: layout
// (no horizontal overflow at A4 width), charts present, Chinese headings
// rendered with a CJK font, and a non-blank screenshot. Two Chromium runs
// in parallel (DOM probe and screenshot).
func checkHTMLInChromium(t *testing.T, html []byte) {
	testutil.Need(t, "chromium")
	bin, err := report.FindChromium("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe.html")
	os.WriteFile(probe, bytes.Replace(html, []byte("</body>"), []byte(probeJS), 1), 0o644)
	plain := filepath.Join(dir, "plain.html")
	os.WriteFile(plain, html, 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	var dom []byte
	var domErr, shotErr error
	var wg sync.WaitGroup
	wg.Add(2)
	st := time.Now()
	go func() {
		defer wg.Done()
		d := filepath.Join(dir, "a")
		cmd := exec.CommandContext(ctx, bin, append(chromiumArgs(d), "--dump-dom", "file://"+probe)...)
		cmd.Env = []string{"HOME=" + d, "LANG=C.UTF-8"}
		dom, domErr = cmd.Output()
	}()
	shot := filepath.Join(dir, "shot.png")
	go func() {
		defer wg.Done()
		d := filepath.Join(dir, "b")
		cmd := exec.CommandContext(ctx, bin, append(chromiumArgs(d), "--screenshot="+shot, "file://"+plain)...)
		cmd.Env = []string{"HOME=" + d, "LANG=C.UTF-8"}
		_, shotErr = cmd.CombinedOutput()
	}()
	wg.Wait()
	t.Logf("chromium DOM probe + screenshot in %v", time.Since(st))
	if domErr != nil || shotErr != nil {
		t.Fatalf("chromium: %v %v", domErr, shotErr)
	}
	m := regexp.MustCompile(`<pre id="probe-result">(.*?)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("probe result missing from DOM (%d bytes)", len(dom))
	}
	raw := strings.NewReplacer("&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(string(m[1]))
	var r struct {
		DocOverflow float64  `json:"docOverflow"`
		Wide        []string `json:"wide"`
		Charts      int      `json:"charts"`
		CJKFont     bool     `json:"cjkFont"`
		H1          string   `json:"h1"`
		CJKWidth    float64  `json:"cjkWidth"`
	}
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("probe: %v: %s", err, raw)
	}
	t.Logf("layout probe: %+v", r)
	if r.DocOverflow > 0 || len(r.Wide) > 0 {
		t.Errorf("horizontal overflow: %v px, elements %v", r.DocOverflow, r.Wide)
	}
	if r.Charts < 1 {
		t.Error("no SVG chart laid out")
	}
	if !r.CJKFont || r.H1 != "数据机房线路检查与巡检运行情况月度工作报告" || r.CJKWidth < 100 {
		t.Errorf("Chinese heading not rendered with a CJK font: %+v", r)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	colours := map[uint32]bool{}
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
			if r < 0x4000 && g < 0x4000 && bl < 0x4000 {
				dark++
			}
		}
	}
	if b.Dx() < 700 || len(colours) < 10 || dark < 200 {
		t.Errorf("screenshot looks blank: %v, %d colours, %d dark samples", b, len(colours), dark)
	}
	if out := os.Getenv("REPORT_OUT"); out != "" {
		b, _ := os.ReadFile(shot)
		os.WriteFile(filepath.Join(out, "lines.png"), b, 0o644)
	}
}
