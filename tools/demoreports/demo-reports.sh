#!/bin/sh
# make demo-reports: every document kind for the demo month, the demo quarter
# (the quarter of the month; a 截至 draft while it is unfinished) and the
# service period (reports.yml service_start), in every format (html, pdf,
# csv, xlsx, json; LANGS="zh-CN en" adds English), into
# out/reports/{2026-10,2026-Q4,service}/{lang}/, without
# the live stack: tools/demoreports/sitehistory writes the contract's site
# (internal/simsite, the model make demo back-fills and its live simulators
# follow: one 1 G BGP line and four 200 M leased lines, 106 racks, the 2N UPS,
# the generator's monthly test run, the CRAC failure within N+1, …) from the
# service start to now into a private TSDB, a private Prometheus on
# a free loopback port serves it, jianguan-report --all renders, and the
# Prometheus is stopped.
# Bounds: the service period to now at make demo's 10-min step (every 15 s
# for the room's event-driven gauges and the lines' traffic counters): ~160 M
# samples, 1.5–3.5 min and ~100 MiB to write on 2 loaded cores; the whole
# script took 18 min at load average 30 (60 documents, PDF via Chromium).
# Every period is covered by
# the history up to its end, so the report reads counters at the period's
# boundaries (report/counters.go's fast path) within jianguan-report's
# default bound per answer (MAX_ANSWER_MIB overrides it). The Prometheus is
# killed on any exit (trap), its port is chosen by the kernel.
set -eu
BIN=${BIN:-bin}
OUT=${OUT:-out/reports}
MONTH=${MONTH:-2026-10}
y=${MONTH%-*}
m=${MONTH#*-}
QUARTER=${QUARTER:-$y-Q$(((${m#0} - 1) / 3 + 1))}
PERIODS="$MONTH $QUARTER service"
PROMETHEUS=${PROMETHEUS:-prometheus}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM
SERVICE_START=${SERVICE_START:-$(sed -n 's/^service_start: *\([0-9-]*\).*/\1/p' deploy/etc/jianguan/reports.yml)}
case "$SERVICE_START" in
[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
*) echo "demo-reports: no service_start (YYYY-MM-DD) in deploy/etc/jianguan/reports.yml" >&2; exit 1 ;;
esac
${GO:-go} build -o "$work/sitehistory" ./tools/demoreports/sitehistory
"$work/sitehistory" --from="$SERVICE_START" --tsdb="$work/tsdb"
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
		"$BIN/jianguan-report" --prometheus.url="http://127.0.0.1:$port" --all --period="$period" --lang="$lang" ${MAX_ANSWER_MIB:+--prometheus.max-answer-mib="$MAX_ANSWER_MIB"} \
			--reports.config=deploy/etc/jianguan/reports.yml --out-dir="$OUT/$period/$lang"
	done
	echo "demo-reports: $(find "$OUT/$period" -type f | wc -l) documents in $OUT/$period"
done
