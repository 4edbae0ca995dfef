package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/promslog"

	"github.com/jianguan/jianguan/internal/redact"
)

// syncBuf is a log sink safe for concurrent writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHostile_DeadmanTransportErrorLogsNoSecret: issue 22 defect 1. Every
// notification path fails at the transport (closed port; a server that
// redirects to a closed port; a server that hangs past the notify timeout)
// with secrets in the URL: WeCom's corpsecret, a webhook ?key=, a
// userinfo password, a WeCom access_token. The ERROR lines must be logged
// (with the failure) and no secret may appear in them, in either log
// format.
func TestHostile_DeadmanTransportErrorLogsNoSecret(t *testing.T) {
	const corpSecret, hookKey, userPW, accessToken = "CORPSECRET-d41d8cd9", "HOOKKEY-8f00b204", "USERPW-e9800998", "ACCESSTOKEN-ecf8427e"
	dead := closedPort(t)
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer hang.Close()
	defer close(stop)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+dead+"/elsewhere?key="+hookKey, http.StatusTemporaryRedirect)
	}))
	defer redir.Close()
	// A WeCom emulation that hands out a token and then is gone for message/send.
	wecomSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/gettoken") {
			fmt.Fprintf(w, `{"errcode":0,"access_token":%q}`, accessToken)
			return
		}
		http.Redirect(w, r, "http://"+dead+"/cgi-bin/message/send?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
	}))
	defer wecomSrv.Close()
	secretFile := writeFile(t, "wecom.secret", corpSecret+"\n")
	tokenFile := writeFile(t, "hook.token", "BEARER-not-in-url\n")

	for _, tc := range []struct {
		name string
		st   settings
	}{
		{"wecom gettoken to a closed port", settings{wecomAPI: "http://" + dead + "/cgi-bin/", wecomCorp: "corp1", wecomAgent: "1", wecomSecretFile: secretFile, wecomToTag: "t"}},
		{"wecom message/send redirected to a closed port", settings{wecomAPI: wecomSrv.URL + "/cgi-bin/", wecomCorp: "corp1", wecomAgent: "1", wecomSecretFile: secretFile, wecomToTag: "t"}},
		{"webhook key to a closed port", settings{webhookURLs: []string{"http://" + dead + "/hook?key=" + hookKey}, webhookTokenFile: tokenFile}},
		{"webhook userinfo to a closed port", settings{webhookURLs: []string{"http://ops:" + userPW + "@" + dead + "/hook"}}},
		{"webhook redirected to a closed port", settings{webhookURLs: []string{redir.URL + "/hook?key=" + hookKey}}},
		{"webhook timeout", settings{webhookURLs: []string{hang.URL + "/hook?key=" + hookKey}}},
	} {
		for _, format := range []string{"logfmt", "json"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				st := tc.st
				st.timeout, st.checkInterval, st.notifyTimeout = time.Minute, time.Second, 300*time.Millisecond
				if err := st.validate(); err != nil {
					t.Fatalf("settings: %v", err)
				}
				var logs syncBuf
				lf := promslog.NewFormat()
				_ = lf.Set(format)
				logger := promslog.New(&promslog.Config{Format: lf, Writer: &logs})
				c := newClock()
				s := newSwitch(logger, newMetrics(prometheus.NewRegistry()), st.notifiers(redact.NewClient(&http.Client{Timeout: st.notifyTimeout})), c.now)
				s.Timeout, s.NotifyTimeout, s.Name = st.timeout, st.notifyTimeout, "test"
				c.add(2 * time.Minute)
				s.Check(context.Background())
				out := logs.String()
				if !strings.Contains(out, "notification failed") {
					t.Fatalf("no failure logged:\n%s", out)
				}
				if !strings.Contains(out, "refused") && !strings.Contains(out, "deadline exceeded") && !strings.Contains(out, "Timeout") {
					t.Errorf("the log no longer says why it failed:\n%s", out)
				}
				for _, sec := range []string{corpSecret, hookKey, userPW, accessToken} {
					if strings.Contains(out, sec) {
						t.Fatalf("secret %q in the log:\n%s", sec, out)
					}
				}
				t.Log(strings.TrimSpace(out))
			})
		}
	}
}

// TestHostile_DeadmanUnworkableSettings: issue 22 defect 3. Settings that
// cannot deliver a notification are rejected at start and by
// --config.check (same exit code 2, same message naming the flag or the
// file:line), instead of being noticed when heartbeats stop.
func TestHostile_DeadmanUnworkableSettings(t *testing.T) {
	good := writeFile(t, "ok.token", "tok\n")
	empty := writeFile(t, "empty.token", "\n\n")
	twoLines := writeFile(t, "two.token", "tok\nsecond-SECRETLINE\n")
	ctrl := writeFile(t, "ctrl.token", "to\x01k\n")
	badUTF8 := writeFile(t, "utf8.token", "tok\xff\n")
	missing := filepath.Join(t.TempDir(), "missing.token")
	hook := "--deadman.webhook.url=http://127.0.0.1:1/hook"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"notify timeout 0", []string{hook, "--deadman.notify-timeout=0s"}, "command line: --deadman.notify-timeout: must be positive"},
		{"negative repeat", []string{hook, "--deadman.repeat-interval=-1s"}, "--deadman.repeat-interval: must be 0"},
		{"check interval longer than timeout", []string{hook, "--deadman.check-interval=10m"}, "--deadman.check-interval: 10m0s is longer than --deadman.timeout"},
		{"malformed webhook URL", []string{"--deadman.webhook.url=http://[::1/hook?key=SECRETKEY"}, "--deadman.webhook.url: http://[::1/hook?<redacted>: not a URL"},
		{"webhook URL without scheme", []string{"--deadman.webhook.url=ops.example.gov.cn/hook"}, "scheme must be http or https"},
		{"webhook URL without host", []string{"--deadman.webhook.url=http:///hook"}, "no host"},
		{"duplicate webhook", []string{hook, hook}, "given twice"},
		{"missing token file", []string{hook, "--deadman.webhook.bearer-token-file=" + missing}, missing + ": --deadman.webhook.bearer-token-file: no such file or directory"},
		{"empty token file", []string{hook, "--deadman.webhook.bearer-token-file=" + empty}, empty + ":1: --deadman.webhook.bearer-token-file: empty secret"},
		{"two-line token file", []string{hook, "--deadman.webhook.bearer-token-file=" + twoLines}, twoLines + ":2: --deadman.webhook.bearer-token-file: more than one line"},
		{"control character in token", []string{hook, "--deadman.webhook.bearer-token-file=" + ctrl}, ctrl + ":1: --deadman.webhook.bearer-token-file: control character"},
		{"non-UTF-8 token", []string{hook, "--deadman.webhook.bearer-token-file=" + badUTF8}, badUTF8 + ":1: --deadman.webhook.bearer-token-file: not valid UTF-8"},
		{"token directory", []string{hook, "--deadman.webhook.bearer-token-file=" + t.TempDir()}, "not a regular file"},
		{"wecom missing secret file", []string{"--deadman.wecom.corp-id=c", "--deadman.wecom.agent-id=1", "--deadman.wecom.api-secret-file=" + missing, "--deadman.wecom.to-tag=x"}, missing + ": --deadman.wecom.api-secret-file: no such file"},
		{"wecom without recipient", []string{"--deadman.wecom.corp-id=c", "--deadman.wecom.agent-id=1", "--deadman.wecom.api-secret-file=" + good}, "needs a recipient"},
		{"wecom bad api url", []string{"--deadman.wecom.corp-id=c", "--deadman.wecom.agent-id=1", "--deadman.wecom.api-secret-file=" + good, "--deadman.wecom.to-tag=x", "--deadman.wecom.api-url=ftp://h/"}, "--deadman.wecom.api-url: ftp://h/: scheme must be http or https"},
		{"wecom flags without corp id", []string{hook, "--deadman.wecom.agent-id=1"}, "--deadman.wecom.corp-id: missing"},
		{"no path", nil, "no notification path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, check := range []bool{true, false} {
				args := append([]string{"--web.listen-address=127.0.0.1:0"}, tc.args...)
				if check {
					args = append(args, "--config.check")
				}
				stderr := captureStderr(t, func() {
					if code := run(args); code != 2 {
						t.Errorf("run(check=%v) = %d, want 2", check, code)
					}
				})
				if !strings.Contains(stderr, tc.want) {
					t.Errorf("check=%v: stderr lacks %q:\n%s", check, tc.want, stderr)
				}
				if strings.Contains(stderr, "SECRET") {
					t.Errorf("check=%v: secret in the message:\n%s", check, stderr)
				}
			}
		})
	}
	// Valid settings pass --config.check, including the deploy units' shape:
	// both secret files passed, only one path enabled.
	for _, args := range [][]string{
		{hook, "--deadman.webhook.bearer-token-file=" + good},
		{hook, "--deadman.webhook.bearer-token-file=" + good, "--deadman.wecom.api-secret-file=" + missing},
		{"--deadman.wecom.corp-id=c", "--deadman.wecom.agent-id=1", "--deadman.wecom.api-secret-file=" + good, "--deadman.wecom.to-party=2", "--deadman.webhook.bearer-token-file=" + missing},
	} {
		if code := run(append(args, "--config.check")); code != 0 {
			t.Errorf("valid settings %q: --config.check = %d", args, code)
		}
	}
}

// captureStderr runs f with os.Stderr redirected (run prints there).
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r)
		done <- b.String()
	}()
	defer func() { os.Stderr = old }()
	f()
	os.Stderr = old
	w.Close()
	return <-done
}

// TestDeadmanCheckBinary: --config.check of the real binary agrees with start.
func TestDeadmanCheckBinary(t *testing.T) {
	bin := buildDeadman(t)
	out, err := exec.Command(bin, "--deadman.webhook.url=http://127.0.0.1:1/h", "--deadman.notify-timeout=0s", "--config.check").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "--deadman.notify-timeout: must be positive") {
		t.Errorf("--config.check: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "--deadman.webhook.url=http://127.0.0.1:1/h", "--config.check").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "valid") {
		t.Errorf("--config.check valid: %v\n%s", err, out)
	}
}
