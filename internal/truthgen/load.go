package truthgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Backfill writes the scenario into a Prometheus TSDB directory with the
// given promtool (`tsdb create-blocks-from openmetrics`): one OpenMetrics
// file, blocks of up to 32 days (promtool's hidden --max-block-duration; with
// its default 2 h blocks promtool 2.42 re-parses the input once per block).
func (sc *Scenario) Backfill(ctx context.Context, promtool, dataDir string) error {
	if err := sc.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "truthgen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	f := filepath.Join(tmp, "scenario.om")
	out, err := os.Create(f)
	if err != nil {
		return err
	}
	if err := sc.Write(out, OpenMetrics, sc.From, sc.To.Add(time.Millisecond)); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if b, err := exec.CommandContext(ctx, promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", "--max-block-duration=768h", f, dataDir).CombinedOutput(); err != nil {
		return fmt.Errorf("%s tsdb create-blocks-from openmetrics: %v: %s", promtool, err, b)
	}
	return nil
}

// ImportVM streams the scenario to VictoriaMetrics' /api/v1/import/prometheus
// at base (the Prometheus text format, millisecond timestamps) and asks it to
// flush.
func (sc *Scenario) ImportVM(ctx context.Context, base string) error {
	if err := sc.Validate(); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(sc.Write(pw, PromText, sc.From, sc.To.Add(time.Millisecond))) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/import/prometheus", pr)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("VictoriaMetrics import: %s %s", resp.Status, b)
	}
	if r, err := http.Get(base + "/internal/force_flush"); err == nil {
		r.Body.Close()
	}
	return nil
}
