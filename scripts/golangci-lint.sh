#!/usr/bin/env bash
# Ensures golangci-lint (the version pinned HERE only) for `make lint`
# (.golangci.yml). Built once by `go install` from the Go module proxy into a
# cache directory keyed by the version, so CI (root, same machine) does not
# rebuild it on every run:
#   ${JIANGUAN_GOLANGCI_DIR:-$HOME/.cache/jianguan/golangci-lint-$GOLANGCI_VERSION}
# A cold build takes minutes on 2 loaded cores (the time taken is printed).
# Prints the binary's path on the last line of stdout.
set -euo pipefail
GOLANGCI_VERSION=v2.15.0
MOD=github.com/golangci/golangci-lint/v2
if [ "${1:-}" = "--version" ]; then echo "$GOLANGCI_VERSION"; exit 0; fi
HOME="${HOME:-/root}"
DIR="${JIANGUAN_GOLANGCI_DIR:-$HOME/.cache/jianguan/golangci-lint-$GOLANGCI_VERSION}"
GO="${GO:-go}"
BIN="$DIR/golangci-lint"

have() { # built from $MOD at exactly $GOLANGCI_VERSION?
  [ -x "$BIN" ] && "$GO" version -m "$BIN" 2>/dev/null | awk -v m="$MOD" -v v="$GOLANGCI_VERSION" '$1=="mod" && $2==m && $3==v {ok=1} END {exit !ok}'
}
if have; then
  echo "golangci-lint: $GOLANGCI_VERSION cached in $DIR" >&2
  echo "$BIN"; exit 0
fi
if [ "${1:-}" = "--cached-only" ]; then
  echo "golangci-lint: $GOLANGCI_VERSION not in $DIR; run 'make lint' once to build it" >&2
  exit 3
fi
mkdir -p "$DIR"
tmp="$(mktemp -d "$DIR/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
echo "golangci-lint: building $MOD $GOLANGCI_VERSION from the Go module proxy ..." >&2
GOBIN="$tmp" "$GO" install "$MOD/cmd/golangci-lint@$GOLANGCI_VERSION" >&2
mv "$tmp/golangci-lint" "$BIN"
echo "golangci-lint: built in $(( $(date +%s) - start )) s into $DIR" >&2
have || { echo "golangci-lint: $BIN is not $GOLANGCI_VERSION after the build" >&2; exit 1; }
echo "$BIN"
