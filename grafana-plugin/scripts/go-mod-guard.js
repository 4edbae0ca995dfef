// npm postinstall: node_modules/go.mod makes node_modules a module of its
// own, so the repository's `go vet ./...` and `go test ./...` skip the Go
// sources some npm packages ship (e.g. flatted/golang).
require('fs').writeFileSync(require('path').join(__dirname, '..', 'node_modules', 'go.mod'), 'module jianguan.invalid/grafana-plugin/node_modules\n');
