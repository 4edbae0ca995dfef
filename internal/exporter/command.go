package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
)

// Command is the start every jianguan server shares (the exporters through
// App, the recorder and deadman directly): kingpin with the exporter-toolkit
// web flags (TLS and basic auth through --web.config.file), the promslog
// flags, --version and -h; then the HTTP server until the context ends.
type Command struct {
	Name string
	App  *kingpin.Application // add the command's own flags here before Parse
	Web  *web.FlagConfig
	Log  *promslog.Config
}

// NewCommand registers the shared flags; defaultAddress is the default
// --web.listen-address.
func NewCommand(name, help, defaultAddress string) *Command {
	kp := kingpin.New(name, help)
	c := &Command{Name: name, App: kp, Web: kingpinflag.AddFlags(kp, defaultAddress), Log: &promslog.Config{}}
	promslogflag.AddFlags(kp, c.Log)
	kp.Version(version.Print(name))
	kp.HelpFlag.Short('h')
	return c
}

// Parse parses args and returns the logger; on a flag error it prints
// "name: error" to stderr and returns exit code 2.
func (c *Command) Parse(args []string) (*slog.Logger, int) {
	if _, err := c.App.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", c.Name, err)
		return nil, 2
	}
	return promslog.New(c.Log), 0
}

// WebConfigFile is --web.config.file ("" when unset).
func (c *Command) WebConfigFile() string {
	if c.Web.WebConfigFile == nil {
		return ""
	}
	return *c.Web.WebConfigFile
}

// Serve runs srv on the web flags until ctx ends (then shuts it down within
// grace) or the server fails; it returns the exit code: 0, or 1 when the
// server failed.
func (c *Command) Serve(ctx context.Context, srv *http.Server, logger *slog.Logger, grace time.Duration) int {
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(srv, c.Web, logger) }()
	code := 0
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server failed", "err", err)
			code = 1
		}
	case <-ctx.Done():
		logger.Info("shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return code
}
