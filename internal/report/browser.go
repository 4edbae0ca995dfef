package report

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// PDFRenderer prints HTML reports to PDF with one long-lived headless
// Chromium, driven by chromedp over --remote-debugging-pipe (no TCP port, so
// no other local process can drive the browser).
//
// On top of chromedp's ExecAllocator the renderer keeps what the engine
// needs of the process: its own process group (Close and crash clean-up kill
// the whole group: browser, zygote, renderers), a private temporary profile,
// HOME and TMPDIR and no other environment (Grafana starts plugins with an
// empty one; secrets of the parent never reach the browser), Pdeathsig so
// the browser dies with its parent, a bound on concurrent tabs, tab reuse,
// and restart after a crash.
//
// The browser is started lazily on the first render and reused; each render
// uses its own tab, at most MaxConcurrent at a time. A browser that crashed
// or was killed is noticed (its pipe closes) and restarted on the next
// render; a render interrupted by such a crash is retried once on a fresh
// browser. A context deadline gives an *Error of kind ErrTimeout. Close kills
// the browser and removes its temporary directory; callers must call it at
// exit (the CLI) or shutdown (the Grafana plugin).
type PDFRenderer struct {
	chromium string
	sem      chan struct{}

	mu     sync.Mutex
	b      *browser
	closed bool
}

// NewPDFRenderer returns a renderer for the given Chromium binary ("" =
// FindChromium's candidates) allowing maxConcurrent renders at once (≤ 0:
// 2). No process is started until the first render.
func NewPDFRenderer(chromium string, maxConcurrent int) *PDFRenderer {
	if maxConcurrent <= 0 {
		maxConcurrent = 2
	}
	return &PDFRenderer{chromium: chromium, sem: make(chan struct{}, maxConcurrent)}
}

// RenderPDF renders d as HTML and prints it.
func (p *PDFRenderer) RenderPDF(ctx context.Context, d *Document) ([]byte, error) {
	var html bytes.Buffer
	if err := RenderHTML(&html, d); err != nil {
		return nil, err
	}
	return p.print(ctx, html.Bytes(), PrintFrame(d))
}

// PrintOptions are the page header and footer of a printed document
// (Chromium's headerTemplate / footerTemplate; empty: none).
type PrintOptions struct {
	Header, Footer string
}

// PrintFrame is the running header (title, confidentiality marking) and the
// footer 「第 N 页 共 M 页」 / "Page N of M" of every page of d's PDF.
// Chromium fills the pageNumber and totalPages spans; the templates carry
// their own font and size (Chromium's default is 0 pt).
func PrintFrame(d *Document) PrintOptions {
	lang := docLang(d)
	esc := template.HTMLEscapeString
	style := `font-family: 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif; font-size: 9pt; color: #000; width: 100%; margin: 0 26mm 0 28mm;`
	head := esc(pick(lang, d.Title, d.TitleEN))
	if d.Cover != nil && d.Cover.Confidentiality != "" {
		head += `<span style="float: right">` + esc(d.Cover.Confidentiality) + `</span>`
	}
	foot := `第 <span class="pageNumber"></span> 页 共 <span class="totalPages"></span> 页`
	if lang == docfmt.EN {
		foot = `Page <span class="pageNumber"></span> of <span class="totalPages"></span>`
	}
	return PrintOptions{
		Header: `<div style="` + style + ` border-bottom: 0.5pt solid #000; padding-bottom: 1mm; margin-top: 20mm;">` + head + `</div>`,
		Footer: `<div style="` + style + ` text-align: center; margin-bottom: 18mm;">` + foot + `</div>`,
	}
}

// defaultPDFTimeout applies when ctx has no deadline.
const defaultPDFTimeout = 120 * time.Second

// HTMLToPDF prints an HTML document to PDF (A4 and margins from the
// document's @page CSS, backgrounds printed, no header or footer).
func (p *PDFRenderer) HTMLToPDF(ctx context.Context, html []byte) ([]byte, error) {
	return p.print(ctx, html, PrintOptions{})
}

// HTMLToPDFWith prints html with a page header and footer.
func (p *PDFRenderer) HTMLToPDFWith(ctx context.Context, html []byte, o PrintOptions) ([]byte, error) {
	return p.print(ctx, html, o)
}

func (p *PDFRenderer) print(ctx context.Context, html []byte, o PrintOptions) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultPDFTimeout)
		defer cancel()
	}
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	case <-ctx.Done():
		return nil, Errorf(ErrTimeout, "PDF rendering timed out (waiting for a free browser tab)")
	}
	for attempt := 0; ; attempt++ {
		b, err := p.browser(ctx)
		if err == nil {
			var pdf []byte
			if pdf, err = b.print(ctx, html, o); err == nil {
				return pdf, nil
			}
		}
		if ctx.Err() != nil {
			return nil, Errorf(ErrTimeout, "PDF rendering timed out")
		}
		if errors.Is(err, errBrowserGone) && attempt == 0 {
			continue // crashed or killed under us: once more on a fresh browser
		}
		return nil, err
	}
}

// PID is the process id of the running browser, 0 when none runs.
func (p *PDFRenderer) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.b == nil || p.b.dead() {
		return 0
	}
	return p.b.pid
}

// TempDir is the running browser's private directory (profile, HOME,
// TMPDIR, the HTML being printed), "" when none runs.
func (p *PDFRenderer) TempDir() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.b == nil {
		return ""
	}
	return p.b.dir
}

// Close kills the browser (its whole process group), waits for it and
// removes its temporary directory. Later renders fail. Safe to call twice.
func (p *PDFRenderer) Close() error {
	p.mu.Lock()
	b := p.b
	p.b, p.closed = nil, true
	p.mu.Unlock()
	if b != nil {
		b.kill()
	}
	return nil
}

// browser returns the running browser, starting one when there is none or
// the last one died. The start gives up when ctx ends.
func (p *PDFRenderer) browser(ctx context.Context) (*browser, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("PDF renderer is closed")
	}
	if p.b != nil && !p.b.dead() {
		return p.b, nil
	}
	if p.b != nil {
		p.b.kill() // reap what is left of the dead one
		p.b = nil
	}
	b, err := startBrowser(ctx, p.chromium)
	if err != nil {
		return nil, err
	}
	p.b = b
	return b, nil
}

// HTMLToPDF prints an HTML document to PDF with a browser started for this
// one call and closed afterwards. Long-running callers should keep a
// PDFRenderer instead.
func HTMLToPDF(ctx context.Context, html []byte, chromium string) ([]byte, error) {
	p := NewPDFRenderer(chromium, 1)
	defer p.Close()
	return p.HTMLToPDF(ctx, html)
}

// RenderPDF prints the HTML report with a browser started for this one
// call (see HTMLToPDF).
func RenderPDF(ctx context.Context, d *Document, chromium string) ([]byte, error) {
	p := NewPDFRenderer(chromium, 1)
	defer p.Close()
	return p.RenderPDF(ctx, d)
}

// ---- one browser process, driven by chromedp ----

var errBrowserGone = errors.New("chromium exited")

// browser is one Chromium process: chromedp's allocator context (which owns
// the process) and the browser's own context (chromedp binds the process and
// its first tab to it), plus the tabs idle for the next render.
type browser struct {
	dir     string
	log     *os.File // chromium's stdout and stderr (for error messages)
	pid     int
	acancel context.CancelFunc // allocator: kills the process, waits for it
	bctx    context.Context
	bcancel context.CancelFunc
	lost    <-chan struct{} // closed when the pipe broke (the browser died)
	seq     atomic.Int64

	mu       sync.Mutex
	idle     []*tab // tabs ready for the next render
	killOnce sync.Once
}

// tab is one page target, a chromedp context of the browser's context.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc // closes the tab
}

// chromiumFlags are added to chromedp's defaults (Puppeteer's set,
// headless): no GPU and no sandbox (a container, root), no network beyond
// localhost (a report is one file; the Grafana e2e test uses localhost), no
// component updates.
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.NoSandbox, chromedp.DisableGPU,
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost"),
	chromedp.Flag("dns-prefetch-disable", true),
}

func startBrowser(ctx context.Context, chromium string) (*browser, error) {
	bin, err := FindChromium(chromium)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "jianguan-pdf-")
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "chromium.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromiumFlags...)
	opts = append(opts,
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.NoInheritEnv,
		chromedp.Env("HOME="+dir, "TMPDIR="+dir, "PATH=/usr/bin:/bin", "LANG=C.UTF-8"),
		chromedp.CombinedOutput(logf),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			cmd.Dir = dir
			// Own process group: kill(-pgid) takes the zygote and renderers
			// too. Pdeathsig: the browser dies with the thread that started
			// it (chromedp keeps that thread until the browser exits), so a
			// SIGKILLed plugin or CLI cannot leave it behind.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		}))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx,
		chromedp.WithLogf(func(f string, a ...any) { slog.Debug("chromedp: " + fmt.Sprintf(f, a...)) }),
		chromedp.WithErrorf(func(f string, a ...any) { slog.Debug("chromedp error: " + fmt.Sprintf(f, a...)) }))
	b := &browser{dir: dir, log: logf, acancel: acancel, bctx: bctx, bcancel: bcancel}
	// chromedp binds the process to the context of its first Run: start it
	// on bctx (which lives until kill) and give up when ctx ends first.
	if err := within(ctx, func() error { return chromedp.Do(bctx) }); err != nil {
		b.kill()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("starting chromium: %w", err)
	}
	cb := chromedp.FromContext(bctx).Browser
	b.pid, b.lost = cb.Process().Pid, cb.LostConnection
	go func() {
		select {
		case <-b.lost:
		case <-bctx.Done():
		}
		// Children that outlive a crashed or killed leader are still in
		// its process group (which exists as long as they do). ESRCH: none.
		_ = syscall.Kill(-b.pid, syscall.SIGKILL)
	}()
	return b, nil
}

// within runs f, which works on a context that outlives ctx, and returns
// its error, or ctx's error when ctx ends first (f's context must then be
// cancelled by the caller).
func within(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *browser) dead() bool {
	select {
	case <-b.lost:
		return true
	case <-b.bctx.Done():
		return true
	default:
		return false
	}
}

// gone turns err into errBrowserGone (with the end of chromium's output)
// when the browser died under it.
func (b *browser) gone(err error) error {
	if err == nil || !b.dead() {
		return err
	}
	return fmt.Errorf("%w (%w): %s", errBrowserGone, err, lastLines(readTail(b.log.Name()), 3))
}

// kill ends the whole process group, waits for the browser and removes its
// directory.
func (b *browser) kill() {
	b.killOnce.Do(func() {
		if b.pid > 0 {
			_ = syscall.Kill(-b.pid, syscall.SIGKILL) // ESRCH: already gone
		}
		done := make(chan struct{})
		go func() {
			b.bcancel()
			b.acancel()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		b.log.Close()
		os.RemoveAll(b.dir)
	})
}

// getTab returns an idle tab or opens a new one. Tabs are reused: their
// renderer process keeps its fonts loaded (the Noto CJK faces take a good
// part of a second each to load), and file:// navigations stay in it.
func (b *browser) getTab(ctx context.Context) (*tab, error) {
	b.mu.Lock()
	if n := len(b.idle); n > 0 {
		t := b.idle[n-1]
		b.idle = b.idle[:n-1]
		b.mu.Unlock()
		return t, nil
	}
	b.mu.Unlock()
	tctx, cancel := chromedp.NewContext(b.bctx)
	// As for the browser: the tab lives as long as the context of its
	// first Run.
	if err := within(ctx, func() error { return chromedp.Do(tctx) }); err != nil {
		go cancel()
		return nil, b.gone(err)
	}
	return &tab{ctx: tctx, cancel: cancel}, nil
}

// print loads html in a tab, waits for its load event and prints it.
func (b *browser) print(ctx context.Context, html []byte, o PrintOptions) (_ []byte, err error) {
	in := filepath.Join(b.dir, "report-"+strconv.FormatInt(b.seq.Add(1), 10)+".html")
	if err := os.WriteFile(in, printOnly(html), 0o600); err != nil {
		return nil, err
	}
	defer os.Remove(in)
	t, err := b.getTab(ctx)
	if err != nil {
		return nil, err
	}
	// The actions run on the tab's context, ended early with ctx.
	rctx, cancel := context.WithCancel(t.ctx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	defer func() {
		if err == nil {
			b.mu.Lock()
			b.idle = append(b.idle, t)
			b.mu.Unlock()
		} else {
			// Not reused (it may still be busy). chromedp bounds the close
			// (5 s); in the background, so a timed-out render returns at
			// its deadline.
			go t.cancel()
			err = b.gone(err)
		}
	}()
	// Navigate waits for the report's load event (not a queued one of the
	// tab's previous document).
	if err := chromedp.Do(rctx, chromedp.Navigate("file://"+in)); err != nil {
		return nil, fmt.Errorf("chromium could not load the report: %w", err)
	}
	// No tagged PDF and no outline: building the accessibility tree for
	// thousands of table cells doubled the print time and made the PDF
	// seven times larger; the text (pdftotext, copy and paste) is the same.
	opts := []chromedp.PDFOption{chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground(), noTagsNoOutline}
	if o.Header != "" || o.Footer != "" {
		// An empty template would print Chromium's default (date, URL).
		opts = append(opts, chromedp.PDFHeaderTemplate(cmp.Or(o.Header, "<span></span>")),
			chromedp.PDFFooterTemplate(cmp.Or(o.Footer, "<span></span>")))
	}
	out, err := chromedp.Run(rctx, chromedp.PrintToPDF(opts...))
	if err != nil {
		return nil, fmt.Errorf("chromium: printing: %w", err)
	}
	if len(out) < 5 || string(out[:5]) != "%PDF-" {
		return nil, fmt.Errorf("chromium produced no PDF: %s", lastLines(readTail(b.log.Name()), 5))
	}
	return out, nil
}

func noTagsNoOutline(p *page.PrintToPDFParams) {
	f := false
	p.GenerateTaggedPDF, p.GenerateDocumentOutline = &f, &f
}

// hideOnScreen keeps the tab's screen layout empty. Chromium lays a loading
// document out several times while it parses it, and once more when it
// leaves print mode, each a full layout of every table cell; hidden on
// screen, only the print layouts remain (lines report, 13 000 cells: print
// 4.4 s → 2.2 s, the same PDF). Print media ignores the rule.
const hideOnScreen = "<style>@media screen { body { display: none !important } }</style>"

// printOnly returns html with hideOnScreen placed right after the doctype
// (a style there goes to the head and keeps standards mode), or first when
// there is no doctype.
func printOnly(html []byte) []byte {
	i := 0
	rest := html
	if bytes.HasPrefix(rest, []byte("\ufeff")) {
		rest = rest[3:]
	}
	rest = bytes.TrimLeft(rest, " \t\r\n")
	if len(rest) >= 9 && bytes.EqualFold(rest[:9], []byte("<!doctype")) {
		if j := bytes.IndexByte(rest, '>'); j >= 0 {
			i = len(html) - len(rest) + j + 1
		}
	}
	out := make([]byte, 0, len(html)+len(hideOnScreen))
	out = append(out, html[:i]...)
	out = append(out, hideOnScreen...)
	return append(out, html[i:]...)
}

func readTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}
