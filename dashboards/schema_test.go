package dashboards

import (
	"os"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// TestSchemaStrict: every committed dashboard decodes strictly into the
// Foundation SDK's dashboard schema (unknown fields, wrong types and unknown
// panel/query shapes are errors), i.e. it is a dashboard Grafana's schema accepts.
func TestSchemaStrict(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	for _, f := range committedDashboards(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard.Dashboard
		err = d.UnmarshalJSONStrict(b)
		if errs, ok := err.(cog.BuildErrors); ok && len(errs) == 0 {
			err = nil // the SDK returns a typed nil
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if d.SchemaVersion < 39 {
			t.Errorf("%s: schemaVersion %v", f, d.SchemaVersion)
		}
	}
}
