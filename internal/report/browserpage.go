package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/chromedp"
)

// Page is one tab of a PDFRenderer's browser driven directly over CDP, for
// tests and tools that need a real browser on a page of their own (the
// Grafana app's end-to-end test and its screenshots): Do sends any CDP
// command to the tab's session. It shares the renderer's process and
// clean-up (Close of the renderer kills it with the browser); it is not used
// for printing.
type Page struct {
	b *browser
	t *tab
}

// NewPage opens a new tab (starting the browser when none runs).
func (p *PDFRenderer) NewPage(ctx context.Context) (*Page, error) {
	b, err := p.browser(ctx)
	if err != nil {
		return nil, err
	}
	t, err := b.getTab(ctx)
	if err != nil {
		return nil, err
	}
	return &Page{b: b, t: t}, nil
}

// Do sends the CDP command method with params (encoded by encoding/json) to
// the tab and decodes its result into result with encoding/json (nil:
// ignored).
func (pg *Page) Do(ctx context.Context, method string, params, result any) error {
	if pg.b.dead() {
		return errors.New("the browser of this page exited")
	}
	if params == nil {
		params = struct{}{}
	}
	in, err := json.Marshal(params)
	if err != nil {
		return err
	}
	var out jsonv2.Value
	if err := chromedp.FromContext(pg.t.ctx).Target.Call(ctx, method, jsonv2.Value(in), &out); err != nil {
		return fmt.Errorf("chromium: %s: %w", method, err)
	}
	if result != nil && len(out) > 0 {
		return json.Unmarshal(out, result)
	}
	return nil
}

// Close closes the tab.
func (pg *Page) Close() { pg.t.cancel() }
