package exporter

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/testutil"
)

type fakeCfg struct {
	Greeting  string        `yaml:"greeting"`
	Community config.Secret `yaml:"community"`
}

type fakeSvc struct {
	mu      sync.Mutex
	applied []string
	g       prometheus.Gauge
}

func (f *fakeSvc) Load(path string) (*fakeCfg, error) {
	var c fakeCfg
	doc, err := config.Load(path, &c)
	if err != nil {
		return nil, err
	}
	if c.Greeting == "" {
		return nil, doc.Errorf("greeting", "must not be empty")
	}
	return &c, nil
}

func (f *fakeSvc) Apply(_ context.Context, cfg *fakeCfg) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, cfg.Greeting)
	f.g.Set(float64(len(f.applied)))
	return nil
}

func (f *fakeSvc) Status() []StatusRow {
	return []StatusRow{{Name: "ups-a", Kind: "ups", Where: "dc1/room-a", State: "up"}}
}
func (f *fakeSvc) Stop() {}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFrame(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "fake.yml")
	if err := os.WriteFile(cfgPath, []byte("greeting: hello\ncommunity: topsecret-community\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testutil.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	svc := &fakeSvc{}
	app := &App[*fakeCfg]{Name: "fake_exporter", Namespace: "fake", DefaultAddress: ":0", DefaultConfig: cfgPath,
		New: func(_ *slog.Logger, reg prometheus.Registerer) (Service[*fakeCfg], error) {
			svc.g = prometheus.NewGauge(prometheus.GaugeOpts{Name: "fake_applies", Help: "applies"})
			reg.MustRegister(svc.g)
			return svc, nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- app.Run(ctx, []string{"--web.listen-address=127.0.0.1:" + fmt.Sprint(port), "--log.level=debug"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get(base + "/-/healthy"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("exporter did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := get(t, base+"/"); code != 200 || !strings.Contains(body, "ups-a") || !strings.Contains(body, "dc1/room-a") {
		t.Errorf("landing page %d: %s", code, body)
	}
	code, body := get(t, base+"/config")
	if code != 200 || strings.Contains(body, "topsecret") || !strings.Contains(body, "<secret>") || !strings.Contains(body, "hello") {
		t.Errorf("/config must mask secrets: %s", body)
	}
	// An invalid reload keeps the old config and sets the metric to 0.
	if err := os.WriteFile(cfgPath, []byte("greeting: \"\"\ncommunity: topsecret-community\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(b), "fake.yml:1: greeting: must not be empty") {
		t.Errorf("bad reload: %d %s", resp.StatusCode, b)
	}
	_, metrics := get(t, base+"/metrics")
	if !strings.Contains(metrics, "fake_config_last_reload_successful 0") || !strings.Contains(metrics, "fake_applies 1") {
		t.Errorf("metrics after bad reload:\n%s", grep(metrics, "fake_"))
	}
	if _, body := get(t, base+"/config"); !strings.Contains(body, "hello") {
		t.Error("old config not kept")
	}
	if strings.Contains(metrics, "topsecret") {
		t.Error("secret in /metrics")
	}
	// GET is not a reload.
	if code, _ := get(t, base+"/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d", code)
	}
	// A good reload applies.
	if err := os.WriteFile(cfgPath, []byte("greeting: bonjour\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Post(base+"/-/reload", "", nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("good reload: %v %v", resp, err)
	}
	_, metrics = get(t, base+"/metrics")
	if !strings.Contains(metrics, "fake_config_last_reload_successful 1") || !strings.Contains(metrics, "fake_applies 2") {
		t.Errorf("metrics after good reload:\n%s", grep(metrics, "fake_"))
	}
	cancel()
	select {
	case c := <-done:
		if c != 0 {
			t.Errorf("exit code %d", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("exporter did not stop")
	}
}

func TestInvalidConfigExits(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "bad.yml")
	os.WriteFile(cfgPath, []byte("greeting: hi\nunknown_field: 1\n"), 0o600)
	app := &App[*fakeCfg]{Name: "fake_exporter", Namespace: "fake", DefaultAddress: ":0",
		New: func(*slog.Logger, prometheus.Registerer) (Service[*fakeCfg], error) { return &fakeSvc{}, nil }}
	var stderr bytes.Buffer
	old := os.Stderr
	r, w, _ := os.Pipe()
	os.Stderr = w
	code := app.Run(context.Background(), []string{"--config.file=" + cfgPath, "--web.listen-address=127.0.0.1:0"})
	w.Close()
	os.Stderr = old
	io.Copy(&stderr, r)
	if code == 0 || !strings.Contains(stderr.String(), "bad.yml:2: field unknown_field not found") {
		t.Fatalf("code %d, stderr %q", code, stderr.String())
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
