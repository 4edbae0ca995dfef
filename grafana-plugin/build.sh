#!/usr/bin/env bash
# Builds dist/jianguan-report-app-<version>.zip laid out as Grafana's plugin
# validator expects: root folder = plugin id; module.js (the frontend, built
# from src/ by scripts/frontend.sh: npm ci + webpack), plugin.json,
# README.md, CHANGELOG.md, LICENSE, img/, a 0755 linux/amd64
# gpx_jianguan_report_linux_amd64 and go_plugin_build_manifest.
# Usage: grafana-plugin/build.sh [version]   (make plugin)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
version="${1:-1.0.0}"
id=jianguan-report-app
GO="${GO:-go}"
out="${DIST_DIR:-$here/dist}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
d="$stage/$id"
mkdir -p "$d/img"
bash scripts/frontend.sh build
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 "$GO" build -trimpath -ldflags "-s -w ${LDFLAGS:-}" -o "$d/gpx_jianguan_report_linux_amd64" ./pkg
chmod 0755 "$d/gpx_jianguan_report_linux_amd64"
sed -e "s/%VERSION%/$version/" -e "s/%TODAY%/$(date -u +%Y-%m-%d)/" src/plugin.json > "$d/plugin.json"
cp build/frontend/module.js build/frontend/module.js.map README.md CHANGELOG.md LICENSE "$d/"
if [ -f build/frontend/module.js.LICENSE.txt ]; then cp build/frontend/module.js.LICENSE.txt "$d/"; fi
cp src/img/logo.svg "$d/img/"
# go_plugin_build_manifest: sha256 of every Go source the backend is built from.
( cd "$here/.." && "$GO" list -deps -f '{{if not .Standard}}{{range .GoFiles}}{{$.Dir}}/{{.}}{{"\n"}}{{end}}{{end}}' ./grafana-plugin/pkg \
  | grep "^$(pwd)/" | sort | while read -r f; do printf '%s:%s\n' "${f#$(pwd)/}" "$(sha256sum "$f" | cut -d' ' -f1)"; done ) > "$d/go_plugin_build_manifest"
rm -f "$d/standalone.txt" "$d/pid.txt"
mkdir -p "$out"
zip="$out/$id-$version.zip"
rm -f "$zip"
( cd "$stage" && python3 - "$zip" "$id" <<'PY'
import os, sys, zipfile
zpath, root = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
    for dp, dn, fn in os.walk(root):
        dn.sort()
        for f in sorted(fn):
            p = os.path.join(dp, f)
            zi = zipfile.ZipInfo.from_file(p, p)
            zi.external_attr = (os.stat(p).st_mode & 0xFFFF) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            with open(p, "rb") as fh:
                z.writestr(zi, fh.read())
PY
)
echo "$zip"
