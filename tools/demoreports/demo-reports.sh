#!/bin/sh
# make demo-reports: every document kind for the demo month, the demo quarter
# (the quarter of the month; a 截至 draft while it is unfinished) and the
# service period (reports.yml service_start), in every format (html, pdf,
# csv, xlsx, json; LANGS="zh-CN en" adds English), into
# out/reports/{2026-10,2026-Q4,service}/{lang}/, without
# the live stack: jianguan-history backfills the test scenario of the month
# into a private TSDB, a private Prometheus on a free loopback port serves it,
# jianguan-report --all renders, and the Prometheus is stopped.
# Bounds: one month of the test scenario (≈ 1 min backfill on 2 cores), the
# Prometheus is killed on any exit (trap), its port is chosen by the kernel.
# The quarter and the service period read the same backfilled month: their
# per-month tables say 无数据 for the months outside it, and 环比 says
# 无上期数据 where the previous period has none.
# The test scenario's series all end 2 h after the month, so a longer
# period reads their raw samples (report/counters.go's slow path): one answer
# is then ~70 MiB, over jianguan-report's default 64 MiB bound per answer
# (MAX_ANSWER_MIB, default 256 here).
set -eu
BIN=${BIN:-bin}
OUT=${OUT:-out/reports}
MONTH=${MONTH:-2026-10}
y=${MONTH%-*}
m=${MONTH#*-}
QUARTER=${QUARTER:-$y-Q$(((${m#0} - 1) / 3 + 1))}
PERIODS="$MONTH $QUARTER service"
PROMETHEUS=${PROMETHEUS:-prometheus}
PROMTOOL=${PROMTOOL:-promtool}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM
"$BIN/jianguan-history" --scenario=test --month="$MONTH" --tsdb="$work/tsdb" --promtool="$PROMTOOL" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'global:\n  scrape_interval: 1m\n' >"$work/prometheus.yml"
"$PROMETHEUS" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" --storage.tsdb.retention.time=10y \
	--web.listen-address="127.0.0.1:$port" >"$work/prometheus.log" 2>&1 &
pid=$!
i=0
until curl -fs "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 120 ]; then cat "$work/prometheus.log" >&2; echo "demo-reports: Prometheus not ready in 60 s" >&2; exit 1; fi
	sleep 0.5
done
for period in $PERIODS; do
	for lang in ${LANGS:-zh-CN}; do
		mkdir -p "$OUT/$period/$lang"
		"$BIN/jianguan-report" --prometheus.url="http://127.0.0.1:$port" --all --period="$period" --lang="$lang" --prometheus.max-answer-mib="${MAX_ANSWER_MIB:-256}" \
			--reports.config=deploy/etc/jianguan/reports.yml --out-dir="$OUT/$period/$lang"
	done
	echo "demo-reports: $(find "$OUT/$period" -type f | wc -l) documents in $OUT/$period"
done
