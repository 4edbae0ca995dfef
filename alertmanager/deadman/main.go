// Command deadman is jianguan's dead man's switch. Alertmanager's Watchdog route posts a
// webhook heartbeat to /heartbeat about once a minute; when none has arrived for
// --deadman.timeout the switch sends its own notification through a path that does not
// involve Prometheus or Alertmanager (a generic webhook and/or WeCom), re-sends it every
// --deadman.repeat-interval and sends a resolved notification when heartbeats return.
// Metrics (docs/metrics.md §5) on --web.listen-address (default :9813) under /metrics.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/jianguan/jianguan/internal/exporter"
	"github.com/jianguan/jianguan/internal/redact"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := exporter.NewCommand("deadman", "jianguan dead man's switch: notifies when Alertmanager's Watchdog heartbeats stop.", ":9813")
	app := cmd.App
	var (
		maxRequests    = exporter.AddLimitFlags(app)
		timeout        = app.Flag("deadman.timeout", "Fire when no heartbeat arrived for this long (keep ≥ 3× the Watchdog route's interval).").Default("5m").Duration()
		checkInterval  = app.Flag("deadman.check-interval", "How often the switch is evaluated and failed notifications retried.").Default("10s").Duration()
		repeatInterval = app.Flag("deadman.repeat-interval", "Re-send the firing notification this often while heartbeats stay missing (0 = never).").Default("1h").Duration()
		notifyTimeout  = app.Flag("deadman.notify-timeout", "Timeout of one notification attempt.").Default("10s").Duration()
		name           = app.Flag("deadman.name", "What the heartbeat proves alive, shown in notifications.").Default("Prometheus→Alertmanager").String()
		site           = app.Flag("deadman.site", "site label of the notification.").Default("").String()
		runbook        = app.Flag("deadman.runbook-url", "Runbook link in notifications.").Default("").String()
		externalURL    = app.Flag("deadman.external-url", "URL of this service, sent as externalURL/generatorURL.").Default("").String()
		webhookURLs    = app.Flag("deadman.webhook.url", "Generic webhook receiving an Alertmanager-format (v4) payload; repeatable.").Strings()
		webhookToken   = app.Flag("deadman.webhook.bearer-token-file", "File with a bearer token for the webhook(s).").Default("").String()
		wecomAPI       = app.Flag("deadman.wecom.api-url", "WeCom API base URL.").Default("https://qyapi.weixin.qq.com/cgi-bin/").String()
		wecomCorp      = app.Flag("deadman.wecom.corp-id", "WeCom corp ID (enables WeCom).").Default("").String()
		wecomAgent     = app.Flag("deadman.wecom.agent-id", "WeCom application agent ID.").Default("").String()
		wecomSecret    = app.Flag("deadman.wecom.api-secret-file", "File with the WeCom application secret.").Default("").String()
		wecomToUser    = app.Flag("deadman.wecom.to-user", "WeCom recipients (user IDs, '|'-separated).").Default("").String()
		wecomToParty   = app.Flag("deadman.wecom.to-party", "WeCom recipient departments.").Default("").String()
		wecomToTag     = app.Flag("deadman.wecom.to-tag", "WeCom recipient tags.").Default("").String()
		checkOnly      = app.Flag("config.check", "Only validate the settings (flags, URLs, secret files) and exit: 0 valid, 2 invalid.").Bool()
	)
	logger, code := cmd.Parse(args)
	if logger == nil {
		return code
	}

	st := &settings{
		timeout: *timeout, checkInterval: *checkInterval, repeatInterval: *repeatInterval, notifyTimeout: *notifyTimeout,
		runbookURL: *runbook, externalURL: *externalURL,
		webhookURLs: *webhookURLs, webhookTokenFile: *webhookToken,
		wecomAPI: *wecomAPI, wecomCorp: *wecomCorp, wecomAgent: *wecomAgent, wecomSecretFile: *wecomSecret,
		wecomToUser: *wecomToUser, wecomToParty: *wecomToParty, wecomToTag: *wecomToTag,
	}
	if err := st.validate(); err != nil {
		fmt.Fprintf(os.Stderr, "deadman: invalid configuration:\n%v\n", err)
		logger.Error("invalid configuration", "err", err)
		return 2
	}
	if *checkOnly {
		fmt.Fprintln(os.Stdout, "deadman: configuration is valid")
		return 0
	}
	// Every outbound call goes through redact.Client: its errors (refused
	// connection, timeout, TLS, redirects) never carry query values such as
	// WeCom's corpsecret/access_token or a webhook's key.
	notifiers := st.notifiers(redact.NewClient(&http.Client{Timeout: *notifyTimeout}))

	reg := prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector("deadman"), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)
	sw := newSwitch(logger, m, notifiers, time.Now)
	sw.Timeout, sw.RepeatInterval, sw.NotifyTimeout = *timeout, *repeatInterval, *notifyTimeout
	sw.Name, sw.Site, sw.RunbookURL, sw.ExternalURL = *name, *site, *runbook, *externalURL

	lim := exporter.NewLimiter(*maxRequests, "deadman", reg)
	mux := http.NewServeMux()
	mux.Handle("/metrics", lim.Wrap(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	mux.Handle("/heartbeat", heartbeatHandler(sw, logger))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Ready") })
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "deadman",
		Description: "jianguan dead man's switch (Watchdog heartbeats → independent notification)",
		Version:     version.Info(),
		Links: []web.LandingLinks{
			{Address: "/metrics", Text: "Metrics"},
			{Address: "/-/healthy", Text: "Health"},
		},
	})
	if err != nil {
		logger.Error("landing page", "err", err)
		return 1
	}
	mux.Handle("/", lim.Wrap(landing))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("starting deadman", "version", version.Info(), "timeout", *timeout, "notifiers", len(notifiers))
	go sw.Run(ctx, *checkInterval)

	srv := exporter.NewServer(mux) // read/write/idle timeouts of every jianguan exporter
	return cmd.Serve(ctx, srv, logger, 5*time.Second)
}
