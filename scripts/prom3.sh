#!/usr/bin/env bash
# Ensures the Prometheus 3 binaries (prometheus, promtool) that `go test ./rules/
# ./dashboards/` run next to Debian's Prometheus 2.42 (issue 17, item 9).
#
# The version is pinned HERE only. The binaries live in a cache directory keyed
# by that version, so a version bump builds once and CI (root, same machine)
# does not rebuild on every run:
#   ${JIANGUAN_PROM3_DIR:-$HOME/.cache/jianguan/prom3-$PROM3_VERSION}
# Sources, in order: the cache itself; a directory of binaries built by hand
# (PROM3_FROM, default $HOME/.cache/jianguan/prom3) when `go version -m` shows
# they are exactly $PROM3_VERSION; else `go install` from the Go module proxy
# (several minutes on 2 cores: the time taken is printed).
# Prints the directory on the last line of stdout.
set -euo pipefail
PROM3_VERSION=v0.316.0 # github.com/prometheus/prometheus v0.316.0 = Prometheus 3.x
MOD=github.com/prometheus/prometheus
if [ "${1:-}" = "--version" ]; then echo "$PROM3_VERSION"; exit 0; fi
HOME="${HOME:-/root}"
DIR="${JIANGUAN_PROM3_DIR:-$HOME/.cache/jianguan/prom3-$PROM3_VERSION}"
FROM="${PROM3_FROM:-$HOME/.cache/jianguan/prom3}"
GO="${GO:-go}"

is_version() { # $1 = binary: built from $MOD at exactly $PROM3_VERSION?
  [ -x "$1" ] && "$GO" version -m "$1" 2>/dev/null | awk -v m="$MOD" -v v="$PROM3_VERSION" '$1=="mod" && $2==m && $3==v {ok=1} END {exit !ok}'
}
have() { is_version "$1/prometheus" && is_version "$1/promtool"; }

if have "$DIR"; then
  echo "prom3: $PROM3_VERSION cached in $DIR" >&2
  echo "$DIR"; exit 0
fi
mkdir -p "$DIR"
if [ "$FROM" != "$DIR" ] && have "$FROM"; then
  cp -p "$FROM/prometheus" "$FROM/promtool" "$DIR/"
  echo "prom3: copied $PROM3_VERSION from $FROM to $DIR" >&2
  echo "$DIR"; exit 0
fi
if pgrep -f "go install $MOD" >/dev/null 2>&1; then
  echo "prom3: another 'go install $MOD' is running; wait for it and rerun" >&2
  exit 1
fi
tmp="$(mktemp -d "$DIR/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
echo "prom3: building $MOD $PROM3_VERSION (cmd/prometheus, cmd/promtool) from the Go module proxy ..." >&2
GOBIN="$tmp" "$GO" install "$MOD/cmd/prometheus@$PROM3_VERSION" "$MOD/cmd/promtool@$PROM3_VERSION" >&2
mv "$tmp/prometheus" "$tmp/promtool" "$DIR/"
echo "prom3: built in $(( $(date +%s) - start )) s into $DIR" >&2
have "$DIR" || { echo "prom3: $DIR does not hold $PROM3_VERSION after the build" >&2; exit 1; }
echo "$DIR"
