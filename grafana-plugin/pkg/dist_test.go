package main

import (
	"archive/zip"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	distOnce sync.Once
	distBin  string
	distErr  string
)

// checkDist builds the release zip once per test binary with build.sh and
// validates it like Grafana's plugin validator: root folder named after the
// id, module.js (the webpack bundle of src/)/README/CHANGELOG/LICENSE/plugin.json, a 0755 linux/amd64
// gpx_jianguan_report_linux_amd64, go_plugin_build_manifest, no
// standalone.txt/pid.txt. It returns the extracted backend binary.
func checkDist(t *testing.T) string {
	t.Helper()
	distOnce.Do(func() { distBin, distErr = buildAndCheckDist() })
	if distErr != "" {
		t.Fatal(distErr)
	}
	return distBin
}

func buildAndCheckDist() (string, string) {
	dir, _ := os.MkdirTemp("", "jianguan-dist-")
	cmd := exec.Command("bash", "../build.sh", "0.0.0-test")
	cmd.Env = append(os.Environ(), "DIST_DIR="+dir, "GO="+filepath.Join(runtime.GOROOT(), "bin", "go"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", "build.sh: " + err.Error() + "\n" + string(out)
	}
	zp := filepath.Join(dir, "jianguan-report-app-0.0.0-test.zip")
	zr, err := zip.OpenReader(zp)
	if err != nil {
		return "", err.Error()
	}
	defer zr.Close()
	const id = "jianguan-report-app"
	seen := map[string]*zip.File{}
	var problems []string
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, id+"/") {
			problems = append(problems, "entry outside the root folder: "+f.Name)
		}
		rel := strings.TrimPrefix(f.Name, id+"/")
		seen[rel] = f
		if base := filepath.Base(rel); base == "standalone.txt" || base == "pid.txt" {
			problems = append(problems, "forbidden file "+rel)
		}
	}
	for _, need := range []string{"module.js", "plugin.json", "README.md", "CHANGELOG.md", "LICENSE", "go_plugin_build_manifest", "gpx_jianguan_report_linux_amd64", "img/logo.svg"} {
		if seen[need] == nil {
			problems = append(problems, "missing "+need)
		}
	}
	bin := ""
	if f := seen["gpx_jianguan_report_linux_amd64"]; f != nil {
		if f.Mode().Perm() != 0o755 {
			problems = append(problems, "binary mode "+f.Mode().String())
		}
		bin = filepath.Join(dir, "gpx_jianguan_report_linux_amd64")
		rc, _ := f.Open()
		w, _ := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		io.Copy(w, rc)
		w.Close()
		rc.Close()
		if ef, err := elf.Open(bin); err != nil || ef.Machine != elf.EM_X86_64 || ef.OSABI != elf.ELFOSABI_NONE && ef.OSABI != elf.ELFOSABI_LINUX {
			problems = append(problems, "binary is not linux/amd64 ELF")
		} else {
			ef.Close()
		}
	}
	if f := seen["plugin.json"]; f != nil {
		rc, _ := f.Open()
		var pj struct {
			ID, Type, Executable string
			Backend              bool
			Info                 struct{ Version string }
		}
		if err := json.NewDecoder(rc).Decode(&pj); err != nil {
			problems = append(problems, "plugin.json: "+err.Error())
		}
		rc.Close()
		if pj.ID != id || pj.Type != "app" || !pj.Backend || pj.Executable != "gpx_jianguan_report" || pj.Info.Version != "0.0.0-test" {
			problems = append(problems, "plugin.json fields wrong")
		}
	}
	if f := seen["module.js"]; f != nil {
		// The webpack bundle of src/ (AMD; Grafana's packages are externals),
		// not a hand-written module.
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		for _, want := range []string{`define(["@grafana/data"`, `"@grafana/ui"`, `"react-router-dom-v5-compat"`, "/api/plugins/", "jianguan-report-app"} {
			if !strings.Contains(string(b), want) {
				problems = append(problems, "module.js is not the built frontend: no "+want)
			}
		}
	}
	if f := seen["go_plugin_build_manifest"]; f != nil && f.UncompressedSize64 < 100 {
		problems = append(problems, "empty go_plugin_build_manifest")
	}
	if len(problems) > 0 {
		return "", strings.Join(problems, "; ")
	}
	return bin, ""
}

func TestDistZip(t *testing.T) {
	bin := checkDist(t)
	if st, err := os.Stat(bin); err != nil || st.Mode().Perm() != 0o755 {
		t.Fatal("extracted binary", err)
	}
}
