// Command gpx_jianguan_report is the backend of the Grafana app plugin
// jianguan-report-app: monthly reports rendered from Prometheus counters.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/app"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// PluginID is the plugin id (plugin.json).
const PluginID = "jianguan-report-app"

func main() {
	if err := app.Manage(PluginID, NewApp, app.ManageOpts{}); err != nil {
		log.DefaultLogger.Error(err.Error())
		os.Exit(1)
	}
}
