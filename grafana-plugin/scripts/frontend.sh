#!/usr/bin/env bash
# The app's frontend (src/, TypeScript + React, Grafana's npm packages):
#   scripts/frontend.sh deps    npm ci from the committed package-lock.json, only
#                               when node_modules does not match the lockfile
#   scripts/frontend.sh build   deps, then webpack into build/frontend/ unless
#                               nothing it is built from changed
#   scripts/frontend.sh check   deps, eslint, tsc --noEmit (strict), jest,
#                               build, bundle-size budget (make plugin-frontend-test)
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

case "${1:-build}" in
deps) deps ;;
build) build ;;
check)
  deps
  node_modules/.bin/eslint --max-warnings 0 --ext .ts,.tsx ./src
  node_modules/.bin/tsc --noEmit
  node_modules/.bin/jest --ci
  build
  node scripts/bundle-size.js
  ;;
*)
  echo "usage: $0 deps|build|check" >&2
  exit 2
  ;;
esac
