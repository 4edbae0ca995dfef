//go:build tools

// Package deps pins the modules the project's packages use, so that
// go mod tidy keeps go.sum complete while parts are built in parallel.
package deps

import (
	_ "github.com/alecthomas/kingpin/v2"
	_ "github.com/chromedp/chromedp"
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/fsnotify/fsnotify"
	_ "github.com/gosnmp/gosnmp"
	_ "github.com/grafana/grafana-foundation-sdk/go/dashboard"
	_ "github.com/grafana/grafana-plugin-sdk-go/backend"
	_ "github.com/grafana/grafana-plugin-sdk-go/backend/app"
	_ "github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	_ "github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/prometheus-community/pro-bing"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/prometheus/common/config"
	_ "github.com/prometheus/common/promslog/flag"
	_ "github.com/prometheus/exporter-toolkit/web"
	_ "github.com/prometheus/prometheus/promql/parser"
	_ "github.com/xuri/excelize/v2"
	_ "golang.org/x/net/icmp"
	_ "golang.org/x/net/ipv4"
	_ "gopkg.in/yaml.v3"
	_ "k8s.io/api/apps/v1"
	_ "k8s.io/api/core/v1"
	_ "sigs.k8s.io/yaml"
)
