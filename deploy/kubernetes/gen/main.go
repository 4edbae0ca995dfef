// Command gen writes deploy/kubernetes/base/{prometheusrule,grafana-dashboards}.yaml
// from rules/*.yml and dashboards/*.json. Run from deploy/kubernetes (go generate)
// or the repository root (go run ./deploy/kubernetes/gen).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jianguan/jianguan/deploy/kubernetes"
)

func main() {
	root, here := ".", "deploy/kubernetes"
	if _, err := os.Stat("gen/main.go"); err == nil {
		root, here = "../..", "."
	}
	src := flag.String("root", root, "repository root to read rules/ and dashboards/ from (e.g. a `git archive HEAD` copy)")
	flag.Parse()
	root = *src
	files, err := kubernetes.Generate(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for name, b := range files {
		p := filepath.Join(here, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", p)
	}
}
