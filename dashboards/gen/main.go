// Command gen writes the generated dashboards as JSON files.
//
//	go run ./dashboards/gen              (from the repository root)
//	go generate ./dashboards/...         (runs `go run ./gen -out .` in dashboards/)
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jianguan/jianguan/dashboards"
)

func main() {
	out := flag.String("out", "", "output directory (default: ./dashboards, or . when run inside it)")
	flag.Parse()
	dir := *out
	if dir == "" {
		dir = "dashboards"
		if _, err := os.Stat("gen/main.go"); err == nil {
			dir = "."
		}
	}
	files, err := dashboards.Render()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, name := range dashboards.FileNames(files) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", p)
	}
}
