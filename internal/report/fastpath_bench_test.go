package report

import (
	"bytes"
	"cmp"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/jianguan/jianguan/internal/testutil"
)

// chromedpPrint prints html to PDF in the tab of ctx (a chromedp context
// whose browser runs) the way browser.print does, without the renderer
// around it: the file written to dir with printOnly, CSS page size,
// backgrounds, no tagged PDF and no outline, the document's header and
// footer.
func chromedpPrint(ctx context.Context, dir string, n int, html []byte, o PrintOptions) ([]byte, error) {
	in := filepath.Join(dir, "report-"+strconv.Itoa(n)+".html")
	if err := os.WriteFile(in, printOnly(html), 0o600); err != nil {
		return nil, err
	}
	defer os.Remove(in)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+in)); err != nil {
		return nil, err
	}
	f := false
	opts := []chromedp.PDFOption{chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground(),
		func(p *page.PrintToPDFParams) { p.GenerateTaggedPDF, p.GenerateDocumentOutline = &f, &f }}
	if o.Header != "" || o.Footer != "" {
		opts = append(opts, chromedp.PDFHeaderTemplate(cmp.Or(o.Header, "<span></span>")),
			chromedp.PDFFooterTemplate(cmp.Or(o.Footer, "<span></span>")))
	}
	return chromedp.Run(ctx, chromedp.PrintToPDF(opts...))
}

// BenchmarkFastpath is issue 23's side by side (make bench-fastpaths): the
// 综合监管月报 of 100 hosts (HTML from RenderHTML, its print frame) printed
// to PDF by PDFRenderer ("own": chromedp since the switch, with the
// renderer's process group, private environment, tab pool and restart on
// top) and by a bare chromedp print ("lib", the anchor), each with one warm
// browser and tab reused across prints. The browser's start is not measured
// (once per process). The own CDP client this compared before the switch
// lost 1.8–3.5× (docs/fastpaths.md).
func BenchmarkFastpath(b *testing.B) {
	bin := testutil.Need(b, "chromium")
	d, _ := manyHosts(b, 100)
	var html bytes.Buffer
	if err := RenderHTML(&html, d); err != nil {
		b.Fatal(err)
	}
	frame := PrintFrame(d)
	b.Run("chromium/print_hosts_100/own", func(b *testing.B) {
		p := NewPDFRenderer(bin, 1)
		defer p.Close()
		if _, err := p.HTMLToPDFWith(b.Context(), html.Bytes(), frame); err != nil { // start and warm
			b.Fatal(err)
		}
		var size int
		for b.Loop() {
			pdf, err := p.HTMLToPDFWith(b.Context(), html.Bytes(), frame)
			if err != nil {
				b.Fatal(err)
			}
			size = len(pdf)
		}
		b.ReportMetric(float64(size), "pdf_bytes")
	})
	b.Run("chromium/print_hosts_100/lib", func(b *testing.B) {
		dir := b.TempDir()
		actx, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(filepath.Join(dir, "profile")))...)
		defer cancel()
		ctx, cancelTab := chromedp.NewContext(actx)
		defer cancelTab()
		if _, err := chromedpPrint(ctx, dir, 0, html.Bytes(), frame); err != nil { // start and warm
			b.Fatal(err)
		}
		var size, n int
		for b.Loop() {
			n++
			pdf, err := chromedpPrint(ctx, dir, n, html.Bytes(), frame)
			if err != nil {
				b.Fatal(err)
			}
			size = len(pdf)
		}
		b.ReportMetric(float64(size), "pdf_bytes")
	})
}
