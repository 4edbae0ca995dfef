#!/usr/bin/env bash
# The app's frontend (src/, TypeScript + React, Grafana's npm packages):
#   scripts/frontend.sh deps    npm ci from the committed package-lock.json, only
#                               when node_modules does not match the lockfile
#   scripts/frontend.sh build   deps, then webpack into build/frontend/ unless
#                               nothing it is built from changed
#   scripts/frontend.sh check   deps, eslint, tsc --noEmit (strict), jest,
#                               build, bundle-size budget (make plugin-frontend-test)
#   scripts/frontend.sh e2e-host  deps, then the end-to-end tests' host page
#                               into build/e2e-host/ (pkg/e2e_browser_test.go)
# npm's cache is npm's default, ~/.npm (CI keeps it between runs). One run at
# a time per checkout (flock): build.sh and make test may start it together.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
exec 9>"$here/.frontend.lock"
flock 9

deps() {
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ "$(cat node_modules/.jianguan-lock-sha256 2>/dev/null)" != "$want" ]; then
    start=$(date +%s)
    npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2
    echo "$want" > node_modules/.jianguan-lock-sha256
    echo "npm ci: $(( $(date +%s) - start )) s" >&2
  fi
}

build() {
  deps
  # What the bundle is built from; unchanged → the previous build stands.
  stamp="$(cat package-lock.json webpack.config.js $(find src -type f ! -name '*.test.tsx' ! -path 'src/testing/*' | sort) | sha256sum | cut -d' ' -f1)"
  if [ -f build/frontend/module.js ] && [ "$(cat build/frontend/.stamp 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  node_modules/.bin/webpack -c ./webpack.config.js --env production >&2
  echo "$stamp" > build/frontend/.stamp
}

# The end-to-end tests' host page (e2e/host/: Grafana's npm packages and the
# @grafana/runtime stand-in, ~10 MiB, not part of the plugin) into
# build/e2e-host/ unless nothing it is built from changed (~45 s, ~550 MiB).
e2e_host() {
  deps
  stamp="$(cat package-lock.json e2e/host/* | sha256sum | cut -d' ' -f1)"
  if [ -f build/e2e-host/host.js ] && [ "$(cat build/e2e-host/.stamp 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  node_modules/.bin/webpack -c ./e2e/host/webpack.config.js >&2
  echo "$stamp" > build/e2e-host/.stamp
}

case "${1:-build}" in
deps) deps ;;
build) build ;;
e2e-host) e2e_host ;;
check)
  deps
  node_modules/.bin/eslint --max-warnings 0 --ext .ts,.tsx ./src
  node_modules/.bin/tsc --noEmit
  node_modules/.bin/jest --ci
  build
  node scripts/bundle-size.js
  ;;
*)
  echo "usage: $0 deps|build|check|e2e-host" >&2
  exit 2
  ;;
esac
