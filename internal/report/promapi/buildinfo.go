package promapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/report"
)

// statusLimit bounds the bodies of the status endpoints (buildinfo, flags,
// /metrics) read here.
const statusLimit = 4 << 20

// get GETs path (with the client's credentials, 10 s at most) and returns
// at most statusLimit bytes of the body and the HTTP status.
func (c *Client) get(ctx context.Context, path string) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, 0, report.Errorf(report.ErrUnavailable, "invalid Prometheus URL %q", c.redactedBase())
	}
	user, pass := c.Username, c.Password
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if c.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.BearerToken)
	} else if user != "" {
		req.SetBasicAuth(user, pass)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, report.Errorf(report.ErrUnavailable, "Prometheus at %s is unreachable", c.redactedBase())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, statusLimit))
	return b, resp.StatusCode, err
}

var vmVersionRE = regexp.MustCompile(`^vm_app_version\{.*short_version="([^"]*)"`)

// BackendInfo identifies the backend (report.BackendInfoer): Prometheus
// answers /api/v1/status/buildinfo with its version (empty in a binary
// built by `go install`, which stamps none); VictoriaMetrics answers it with
// no data (1.79) and is recognised by vm_app_version in its /metrics.
func (c *Client) BackendInfo(ctx context.Context) (report.Backend, error) {
	body, status, err := c.get(ctx, "/api/v1/status/buildinfo")
	if err != nil {
		return report.Backend{}, err
	}
	var bi struct {
		Status string            `json:"status"`
		Data   map[string]string `json:"data"`
	}
	if status == http.StatusOK && json.Unmarshal(body, &bi) == nil && bi.Status == "success" {
		if _, ok := bi.Data["version"]; ok && bi.Data["goVersion"] != "" {
			return report.Backend{Kind: "Prometheus", Version: bi.Data["version"], Revision: bi.Data["revision"],
				GoVersion: bi.Data["goVersion"], Source: "/api/v1/status/buildinfo"}, nil
		}
	}
	mb, mstatus, err := c.get(ctx, "/metrics")
	if err == nil && mstatus == http.StatusOK {
		sc := bufio.NewScanner(bytes.NewReader(mb))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if m := vmVersionRE.FindStringSubmatch(sc.Text()); m != nil {
				return report.Backend{Kind: "VictoriaMetrics", Version: m[1], Source: "/metrics vm_app_version (buildinfo has no version)"}, nil
			}
		}
	}
	return report.Backend{}, report.Errorf(report.ErrUnavailable, "buildinfo answered HTTP %d without a version and /metrics names no known backend", status)
}
