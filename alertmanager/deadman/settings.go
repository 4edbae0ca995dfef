package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/redact"
)

// settings are deadman's flags. validate runs at start and under
// --config.check (the same function, so both agree); the secret files are
// read again by the same readSecretFile before every notification (a
// rotated token is picked up without a restart, and a file that became
// unreadable fails with the same message as at start).
type settings struct {
	timeout, checkInterval, repeatInterval, notifyTimeout time.Duration
	runbookURL, externalURL                               string

	webhookURLs      []string
	webhookTokenFile string

	wecomAPI, wecomCorp, wecomAgent, wecomSecretFile string
	wecomToUser, wecomToParty, wecomToTag            string
}

// maxSecretFile bounds a token/secret file (a token is one short line).
const maxSecretFile = 64 << 10

// flagError names the offending flag (deadman has no configuration file;
// its flags usually come from /etc/jianguan/deadman.env).
func flagError(flag, format string, args ...any) error {
	return &config.Error{File: "command line", Field: "--" + flag, Msg: fmt.Sprintf(format, args...)}
}

// readSecretFile returns the one-line secret in path. Errors name the file
// and, for content problems, the line; they never contain the secret.
func readSecretFile(flag, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", &config.Error{File: path, Field: "--" + flag, Msg: strings.TrimPrefix(err.Error(), "open "+path+": ")}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", &config.Error{File: path, Field: "--" + flag, Msg: err.Error()}
	}
	if !fi.Mode().IsRegular() {
		return "", &config.Error{File: path, Field: "--" + flag, Msg: "not a regular file"}
	}
	if fi.Size() > maxSecretFile {
		return "", &config.Error{File: path, Field: "--" + flag, Msg: fmt.Sprintf("%d bytes, more than the %d allowed for a one-line secret", fi.Size(), maxSecretFile)}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", &config.Error{File: path, Field: "--" + flag, Msg: err.Error()}
	}
	if len(b) > maxSecretFile {
		return "", &config.Error{File: path, Field: "--" + flag, Msg: fmt.Sprintf("more than the %d bytes allowed for a one-line secret", maxSecretFile)}
	}
	if !utf8.Valid(b) {
		return "", &config.Error{File: path, Line: 1 + strings.Count(string(b[:firstInvalid(b)]), "\n"), Field: "--" + flag, Msg: "not valid UTF-8"}
	}
	lines := strings.Split(strings.TrimRight(string(b), "\r\n"), "\n")
	secret := strings.TrimSpace(lines[0])
	if secret == "" {
		return "", &config.Error{File: path, Line: 1, Field: "--" + flag, Msg: "empty secret (the first line must hold it)"}
	}
	for i, l := range lines[1:] {
		if strings.TrimSpace(l) != "" {
			return "", &config.Error{File: path, Line: i + 2, Field: "--" + flag, Msg: "more than one line (the file must hold only the secret)"}
		}
	}
	for _, r := range secret {
		if unicode.IsControl(r) {
			return "", &config.Error{File: path, Line: 1, Field: "--" + flag, Msg: "control character in the secret (it would be rejected in an HTTP header or URL)"}
		}
	}
	return secret, nil
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// checkHTTPURL accepts an absolute http(s) URL with a host. The value is
// shown redacted.
func checkHTTPURL(flag, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return flagError(flag, "%s: not a URL: %v", redact.URL(raw), redact.Error(errors.Unwrap(err)))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return flagError(flag, "%s: scheme must be http or https", redact.URL(raw))
	}
	if u.Host == "" || u.Hostname() == "" {
		return flagError(flag, "%s: no host", redact.URL(raw))
	}
	return nil
}

// validate reports every problem at once (errors.Join, one per line).
func (s *settings) validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if s.timeout <= 0 {
		add(flagError("deadman.timeout", "must be positive (got %s)", s.timeout))
	}
	if s.checkInterval <= 0 {
		add(flagError("deadman.check-interval", "must be positive (got %s)", s.checkInterval))
	} else if s.timeout > 0 && s.checkInterval > s.timeout {
		add(flagError("deadman.check-interval", "%s is longer than --deadman.timeout %s: the switch would fire late", s.checkInterval, s.timeout))
	}
	if s.repeatInterval < 0 {
		add(flagError("deadman.repeat-interval", "must be 0 (never) or positive (got %s)", s.repeatInterval))
	}
	if s.notifyTimeout <= 0 {
		add(flagError("deadman.notify-timeout", "must be positive (got %s): every notification would fail at once", s.notifyTimeout))
	}
	if s.runbookURL != "" {
		add(checkHTTPURL("deadman.runbook-url", s.runbookURL))
	}
	if s.externalURL != "" {
		add(checkHTTPURL("deadman.external-url", s.externalURL))
	}

	seen := map[string]bool{}
	for _, u := range s.webhookURLs {
		add(checkHTTPURL("deadman.webhook.url", u))
		if seen[u] {
			add(flagError("deadman.webhook.url", "%s given twice", redact.URL(u)))
		}
		seen[u] = true
	}
	// The deploy units pass both secret files unconditionally (systemd
	// credentials, Kubernetes secrets); each is checked only when its path
	// is enabled.
	if s.webhookTokenFile != "" && len(s.webhookURLs) > 0 {
		_, err := readSecretFile("deadman.webhook.bearer-token-file", s.webhookTokenFile)
		add(err)
	}

	wecomSet := s.wecomAgent != "" || s.wecomToUser != "" || s.wecomToParty != "" || s.wecomToTag != ""
	switch {
	case s.wecomCorp != "":
		if s.wecomAgent == "" {
			add(flagError("deadman.wecom.corp-id", "needs --deadman.wecom.agent-id"))
		}
		if s.wecomSecretFile == "" {
			add(flagError("deadman.wecom.corp-id", "needs --deadman.wecom.api-secret-file"))
		} else {
			_, err := readSecretFile("deadman.wecom.api-secret-file", s.wecomSecretFile)
			add(err)
		}
		if s.wecomToUser == "" && s.wecomToParty == "" && s.wecomToTag == "" {
			add(flagError("deadman.wecom.corp-id", "needs a recipient: --deadman.wecom.to-user, --deadman.wecom.to-party or --deadman.wecom.to-tag"))
		}
		add(checkHTTPURL("deadman.wecom.api-url", s.wecomAPI))
	case wecomSet:
		add(flagError("deadman.wecom.corp-id", "missing: other --deadman.wecom.* flags are set, but WeCom is enabled only by --deadman.wecom.corp-id"))
	}
	if len(s.webhookURLs) == 0 && s.wecomCorp == "" {
		add(flagError("deadman.webhook.url", "no notification path: set --deadman.webhook.url and/or --deadman.wecom.corp-id"))
	}
	return errors.Join(errs...)
}

// notifiers builds the notification paths of valid settings; all share
// client. Names are unique (they key the per-notifier send state).
func (s *settings) notifiers(client *redact.Client) []notifier {
	var ns []notifier
	names := map[string]bool{}
	for i, u := range s.webhookURLs {
		name := "webhook " + redact.URL(u)
		if names[name] { // differ only in masked parts (e.g. ?key=)
			name = fmt.Sprintf("webhook#%d %s", i+1, redact.URL(u))
		}
		names[name] = true
		ns = append(ns, &webhookNotifier{name: name, url: u, bearerTokenFile: s.webhookTokenFile, client: client})
	}
	if s.wecomCorp != "" {
		ns = append(ns, &wecomNotifier{apiURL: s.wecomAPI, corpID: s.wecomCorp, agentID: s.wecomAgent, secretFile: s.wecomSecretFile,
			toUser: s.wecomToUser, toParty: s.wecomToParty, toTag: s.wecomToTag, client: client})
	}
	return ns
}
