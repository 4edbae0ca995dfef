package hostilehttp

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestServerMisbehaves: each path and TLS mode does what it promises to a
// plain net/http client.
func TestServerMisbehaves(t *testing.T) {
	plain := Start(t)
	other := Start(t)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true, MaxResponseHeaderBytes: 64 << 10,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the modes are about the handshake itself
	}}
	get := func(u string) (*http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		req.Header.Set("X-Secret", "s3")
		return client.Do(req)
	}
	tests := []struct {
		name    string
		url     string
		wantErr string // substring; "" = a response
		status  int
	}{
		{"ok", plain.URL + "/ok", "", 200},
		{"huge headers", plain.URL + "/huge-headers", "server response headers exceeded", 0},
		{"slow headers", plain.URL + "/slow-headers", "deadline exceeded", 0},
		{"redirect to other host", plain.URL + "/redirect?to=" + url.QueryEscape(other.URL+"/landed"), "", 200},
		{"tls self-signed", StartTLS(t, TLSSelfSigned).URL + "/ok", "", 200},
		{"tls expired", StartTLS(t, TLSExpired).URL + "/ok", "", 200},
		{"tls garbage", StartTLS(t, TLSGarbage).URL + "/ok", "server gave HTTP response", 0},
		{"tls hang", StartTLS(t, TLSHang).URL + "/ok", "deadline exceeded", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := get(tc.url)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if n := plain.HeaderBytesWritten(); n < 64<<10 {
		t.Errorf("huge headers: %d bytes written", n)
	}
	if r := other.Requests(); len(r) != 1 || r[0].Path != "/landed" {
		t.Errorf("other host got %+v", r)
	}

	t.Run("endless and slow body", func(t *testing.T) {
		for _, p := range []string{"/endless-body", "/slow-body"} {
			resp, err := get(plain.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if p == "/endless-body" && n != 1<<20 {
				t.Errorf("%s: read %d bytes, want the 1 MiB limit", p, n)
			}
			if p == "/slow-body" && (n < 3 || n > 40) {
				t.Errorf("%s: read %d bytes in 1.5 s at one per %s", p, n, Tick)
			}
		}
	})
}
