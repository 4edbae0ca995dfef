package kubernetes

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/prometheus/promql/parser"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// TestGeneratedInSync: base/prometheusrule.yaml and base/grafana-dashboards.yaml
// equal what rules/*.yml and dashboards/*.json generate.
func TestGeneratedInSync(t *testing.T) {
	files, err := Generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date: run `go generate ./deploy/kubernetes/...` and commit", name)
		}
	}
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

type object struct {
	file, kind, name string
	obj              any
}

// decodeStrict decodes every document of a multi-document YAML stream into
// its k8s.io/api or prometheus-operator type, rejecting unknown fields.
func decodeStrict(t *testing.T, src string, b []byte) []object {
	t.Helper()
	var out []object
	for _, doc := range docSep.Split(string(b), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		var o any
		switch meta.APIVersion + "/" + meta.Kind {
		case "apps/v1/Deployment":
			o = &appsv1.Deployment{}
		case "v1/Service":
			o = &corev1.Service{}
		case "v1/ConfigMap":
			o = &corev1.ConfigMap{}
		case "v1/Secret":
			o = &corev1.Secret{}
		case "v1/Namespace":
			o = &corev1.Namespace{}
		case "v1/ServiceAccount":
			o = &corev1.ServiceAccount{}
		case "rbac.authorization.k8s.io/v1/Role":
			o = &rbacv1.Role{}
		case "rbac.authorization.k8s.io/v1/RoleBinding":
			o = &rbacv1.RoleBinding{}
		case "monitoring.coreos.com/v1/ServiceMonitor":
			o = &monitoringv1.ServiceMonitor{}
		case "monitoring.coreos.com/v1/PrometheusRule":
			o = &monitoringv1.PrometheusRule{}
		case "monitoring.coreos.com/v1/Prometheus":
			o = &monitoringv1.Prometheus{}
		case "monitoring.coreos.com/v1/Alertmanager":
			o = &monitoringv1.Alertmanager{}
		case "monitoring.coreos.com/v1alpha1/AlertmanagerConfig":
			o = &monitoringv1alpha1.AlertmanagerConfig{}
		default:
			t.Errorf("%s: %s %s: kind not validated by this test; add its type", src, meta.APIVersion, meta.Kind)
			continue
		}
		if err := yaml.UnmarshalStrict([]byte(doc), o); err != nil {
			t.Errorf("%s: %s %s: %v", src, meta.Kind, meta.Metadata.Name, err)
			continue
		}
		out = append(out, object{src, meta.Kind, meta.Metadata.Name, o})
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// kustomization is the subset of kustomize's Kustomization we use; decoding
// strictly catches a misspelt field.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels,omitempty"`
	Resources []string `json:"resources,omitempty"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
	} `json:"images,omitempty"`
	SecretGenerator []struct {
		Name  string   `json:"name"`
		Files []string `json:"files"`
	} `json:"secretGenerator,omitempty"`
	Patches []struct {
		Path string `json:"path"`
	} `json:"patches,omitempty"`
}

// load walks a kustomization (recursively through directory resources) and
// strictly decodes every resource and patch file it names.
func load(t *testing.T, dir string) []object {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("%s: apiVersion/kind %s/%s", dir, k.APIVersion, k.Kind)
	}
	var objs []object
	for _, r := range k.Resources {
		p := filepath.Join(dir, r)
		st, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: resource %s: %v", dir, r, err)
			continue
		}
		if st.IsDir() {
			objs = append(objs, load(t, p)...)
			continue
		}
		rb, _ := os.ReadFile(p)
		objs = append(objs, decodeStrict(t, p, rb)...)
	}
	// kustomize `labels:` pairs land on every object's metadata.
	for _, l := range k.Labels {
		for _, o := range objs {
			if lo, ok := o.obj.(interface {
				GetLabels() map[string]string
				SetLabels(map[string]string)
			}); ok {
				m := lo.GetLabels()
				if m == nil {
					m = map[string]string{}
				}
				for key, v := range l.Pairs {
					m[key] = v
				}
				lo.SetLabels(m)
			}
		}
	}
	for _, p := range k.Patches {
		pb, err := os.ReadFile(filepath.Join(dir, p.Path))
		if err != nil {
			t.Errorf("%s: patch %s: %v", dir, p.Path, err)
			continue
		}
		decodeStrict(t, filepath.Join(dir, p.Path), pb)
	}
	for _, g := range k.SecretGenerator {
		for _, f := range g.Files {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: secretGenerator %s: %v", dir, g.Name, err)
			}
		}
	}
	return objs
}

func TestManifestsStrict(t *testing.T) {
	for _, dir := range []string{"base", "overlays/production"} {
		objs := load(t, dir)
		kinds := map[string]int{}
		for _, o := range objs {
			kinds[o.kind]++
		}
		t.Logf("%s: %v", dir, kinds)
		checkObjects(t, dir, objs)
		checkSelectors(t, dir, objs)
	}
}

// checkObjects: hardening, ICMP sysctl, every Deployment exposed, scraped and
// selected by a Service + ServiceMonitor, rules parse.
func checkObjects(t *testing.T, dir string, objs []object) {
	services := map[string]*corev1.Service{}
	monitors := map[string]*monitoringv1.ServiceMonitor{}
	for _, o := range objs {
		switch v := o.obj.(type) {
		case *corev1.Service:
			services[v.Name] = v
		case *monitoringv1.ServiceMonitor:
			monitors[v.Name] = v
		}
	}
	icmp := map[string]bool{"line-exporter": true, "uptime-exporter": true}
	for _, o := range objs {
		switch v := o.obj.(type) {
		case *appsv1.Deployment:
			ps := v.Spec.Template.Spec
			name := v.Spec.Template.Labels["app.kubernetes.io/name"]
			if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot {
				t.Errorf("%s %s: pod must runAsNonRoot", dir, v.Name)
			}
			for _, c := range ps.Containers {
				sc := c.SecurityContext
				if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
					sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
					sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) != 0 {
					t.Errorf("%s %s/%s: container must drop ALL capabilities, no escalation, read-only root", dir, v.Name, c.Name)
				}
			}
			hasPing := false
			if ps.SecurityContext != nil {
				for _, s := range ps.SecurityContext.Sysctls {
					hasPing = hasPing || (s.Name == "net.ipv4.ping_group_range" && s.Value == "0 2147483647")
				}
			}
			if hasPing != icmp[name] {
				t.Errorf("%s %s: ping_group_range sysctl present=%v, want %v", dir, v.Name, hasPing, icmp[name])
			}
			if sel := v.Spec.Selector.MatchLabels; sel == nil {
				t.Errorf("%s %s: no selector", dir, v.Name)
			} else {
				for k, val := range sel {
					if v.Spec.Template.Labels[k] != val {
						t.Errorf("%s %s: selector %s=%s does not match the pod template", dir, v.Name, k, val)
					}
				}
			}
			svc := services[name]
			if svc == nil {
				t.Errorf("%s: Deployment %s has no Service %s", dir, v.Name, name)
				continue
			}
			for k, val := range svc.Spec.Selector {
				if v.Spec.Template.Labels[k] != val {
					t.Errorf("%s: Service %s does not select %s", dir, name, v.Name)
				}
			}
			sm := monitors[name]
			if sm == nil {
				t.Errorf("%s: Service %s has no ServiceMonitor", dir, name)
				continue
			}
			for k, val := range sm.Spec.Selector.MatchLabels {
				if svc.Labels[k] != val {
					t.Errorf("%s: ServiceMonitor %s does not select Service %s", dir, name, name)
				}
			}
			for _, ep := range sm.Spec.Endpoints {
				found := false
				for _, p := range svc.Spec.Ports {
					found = found || p.Name == ep.Port
				}
				if !found {
					t.Errorf("%s: ServiceMonitor %s port %q not on the Service", dir, name, ep.Port)
				}
			}
		case *monitoringv1.PrometheusRule:
			n := 0
			p := parser.NewParser(parser.Options{})
			for _, g := range v.Spec.Groups {
				for _, r := range g.Rules {
					n++
					if _, err := p.ParseExpr(r.Expr.String()); err != nil {
						t.Errorf("%s: rule %s%s: %v", dir, r.Alert, r.Record, err)
					}
				}
			}
			if n == 0 {
				t.Errorf("%s: empty PrometheusRule", dir)
			}
		case *corev1.ConfigMap:
			if v.Labels["grafana_dashboard"] == "1" && len(v.Data) != 1 {
				t.Errorf("%s: dashboard ConfigMap %s has %d files", dir, v.Name, len(v.Data))
			}
		}
	}
}

// TestDashboardConfigMapsComplete: one ConfigMap per generated dashboard.
func TestDashboardConfigMapsComplete(t *testing.T) {
	b, _ := os.ReadFile(DashboardsFile)
	var have []string
	for _, o := range decodeStrict(t, DashboardsFile, b) {
		for k := range o.obj.(*corev1.ConfigMap).Data {
			have = append(have, k)
		}
	}
	want, _ := filepath.Glob("../../dashboards/*.json")
	for i := range want {
		want[i] = filepath.Base(want[i])
	}
	sort.Strings(have)
	sort.Strings(want)
	if strings.Join(have, ",") != strings.Join(want, ",") || len(want) < 5 {
		t.Errorf("dashboard ConfigMaps %v, dashboards %v", have, want)
	}
}

// TestOverlayConfigsMatchExamples: the overlay's config copies are the
// examples of deploy/etc/jianguan.
func TestOverlayConfigsMatchExamples(t *testing.T) {
	files, _ := filepath.Glob("overlays/production/config/*.yml")
	if len(files) != 3 {
		t.Fatalf("overlay configs: %v", files)
	}
	for _, f := range files {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join("../etc/jianguan", filepath.Base(f)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from deploy/etc/jianguan/%s (cp it)", f, filepath.Base(f))
		}
	}
}

// TestKustomizeBuild renders the overlay with `kubectl kustomize` when kubectl
// is installed (it is not a Debian 12 package, so this is local only) and
// strictly decodes the result.
func TestKustomizeBuild(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed; TestManifestsStrict covers the files")
	}
	for _, dir := range []string{"base", "overlays/production"} {
		out, err := exec.Command(kubectl, "kustomize", dir).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, out)
		}
		objs := decodeStrict(t, "kustomize "+dir, out)
		checkObjects(t, "kustomize "+dir, objs)
		for _, o := range objs {
			if dir == "overlays/production" && o.kind != "Namespace" {
				if ns := objectNamespace(o.obj); ns != "jianguan" {
					t.Errorf("%s %s in namespace %q", o.kind, o.name, ns)
				}
			}
		}
		t.Logf("kustomize %s: %d objects", dir, len(objs))
	}
}

func objectNamespace(o any) string {
	b, _ := yaml.Marshal(o)
	var m struct {
		Metadata struct {
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	_ = yaml.Unmarshal(b, &m)
	return m.Metadata.Namespace
}

// checkSelectors: the Prometheus CR selects every ServiceMonitor and the
// PrometheusRule, the Alertmanager CR selects the AlertmanagerConfig.
func checkSelectors(t *testing.T, dir string, objs []object) {
	matches := func(sel *metav1.LabelSelector, labels map[string]string) bool {
		if sel == nil {
			return false
		}
		for k, v := range sel.MatchLabels {
			if labels[k] != v {
				return false
			}
		}
		return len(sel.MatchExpressions) == 0
	}
	for _, o := range objs {
		switch v := o.obj.(type) {
		case *monitoringv1.Prometheus:
			for _, x := range objs {
				switch w := x.obj.(type) {
				case *monitoringv1.ServiceMonitor:
					if !matches(v.Spec.ServiceMonitorSelector, w.Labels) {
						t.Errorf("%s: Prometheus %s does not select ServiceMonitor %s", dir, v.Name, w.Name)
					}
				case *monitoringv1.PrometheusRule:
					if !matches(v.Spec.RuleSelector, w.Labels) {
						t.Errorf("%s: Prometheus %s does not select PrometheusRule %s", dir, v.Name, w.Name)
					}
				}
			}
		case *monitoringv1.Alertmanager:
			for _, x := range objs {
				if w, ok := x.obj.(*monitoringv1alpha1.AlertmanagerConfig); ok && !matches(v.Spec.AlertmanagerConfigSelector, w.Labels) {
					t.Errorf("%s: Alertmanager %s does not select AlertmanagerConfig %s", dir, v.Name, w.Name)
				}
			}
		}
	}
}
