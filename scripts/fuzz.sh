#!/usr/bin/env bash
# Runs every Fuzz target of the module for FUZZTIME (default 5s).
# A target that fails is shown in full and run once more: a real crasher is
# saved under testdata/fuzz and fails the second run too (it is replayed as
# a seed), while the fuzzing engine's own hiccups under load ("fuzzing
# process hung or terminated unexpectedly") do not fail the build.
set -uo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5s}
fail=0
for pkg in $($GO list ./...); do
  for f in $($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz $pkg $f ($FUZZTIME)"
    log=$(mktemp)
    if ! $GO test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
      cat "$log"
      echo "fuzz $pkg $f failed; running it again to tell a crasher from an engine hiccup"
      if ! $GO test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" "$pkg"; then
        fail=1
      fi
    fi
    rm -f "$log"
  done
done
exit $fail
