package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The executables the demo starts, by Debian package.
var needBinaries = map[string]string{
	"snmpsimd":                "snmpsim",
	"snmpset":                 "snmp",
	"prometheus":              "prometheus",
	"promtool":                "prometheus",
	"prometheus-alertmanager": "prometheus-alertmanager",
	"chromium":                "chromium",
}

// ensurePackages installs the Debian packages listed in
// deploy/debian-packages.txt when something is missing: with apt-get when
// root, otherwise it prints the one command to run.
func ensurePackages(root string) error {
	var missing []string
	for bin := range needBinaries {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	pkgs, err := readPackages(filepath.Join(root, "deploy", "debian-packages.txt"))
	if err != nil {
		return err
	}
	line := "apt-get install -y --no-install-recommends " + strings.Join(pkgs, " ")
	if os.Geteuid() != 0 {
		return fmt.Errorf("missing %s; run as root:\n  apt-get update && %s", strings.Join(missing, ", "), line)
	}
	fmt.Println("installing Debian packages:", strings.Join(pkgs, " "))
	for _, args := range [][]string{{"update", "-qq"}, append([]string{"install", "-y", "-qq", "--no-install-recommends"}, pkgs...)} {
		cmd := exec.Command("apt-get", args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w", args[0], err)
		}
	}
	return nil
}

func readPackages(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}
