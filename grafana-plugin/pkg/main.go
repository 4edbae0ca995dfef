// Command gpx_jianguan_report is the backend of the Grafana app plugin
// jianguan-report-app: monthly reports rendered from Prometheus counters.
package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/grafana/grafana-plugin-sdk-go/backend/app"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// PluginID is the plugin id (plugin.json).
const PluginID = "jianguan-report-app"

func main() {
	// Grafana stops a plugin with go-plugin's Shutdown RPC (Manage returns)
	// or, failing that, a signal: either way the PDF browsers are killed and
	// their temporary profiles removed (a SIGKILL is covered by the
	// browser's Pdeathsig).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		<-sig
		browsers.closeAll()
		os.Exit(143)
	}()
	err := app.Manage(PluginID, NewApp, app.ManageOpts{})
	browsers.closeAll()
	if err != nil {
		log.DefaultLogger.Error(err.Error())
		os.Exit(1)
	}
}
