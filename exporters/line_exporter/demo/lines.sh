#!/usr/bin/env bash
# Demo lines for line_exporter: a core network namespace and five far ends
# joined by veth pairs (one BGP internet line, four leased lines).
#
#   lines.sh up              create jgdemo-core and jgdemo-far1..5 (root)
#   lines.sh down            delete them
#   lines.sh status          show them
#   lines.sh cut N SECONDS [local|far|blackhole]   cut line N for SECONDS
#   lines.sh loss N PERCENT  random loss on line N (0 removes it)
#
# Far end N is 10.79.N.2, the core end 10.79.N.1 (addresses exist only inside
# these namespaces). line_exporter runs in the host namespace and probes from
# the core namespace: line_exporter --icmp.netns=jgdemo-core --config.file=demo/line.yml
# Without root use demo/line-loopback.yml (127.0.0.x, nothing to cut).
set -euo pipefail
# JGDEMO names the namespaces (default jgdemo): tests use their own prefix.
P=${JGDEMO:-jgdemo}
CORE=$P-core
N=5

need_root() { [ "$(id -u)" = 0 ] || { echo "lines.sh: needs root (network namespaces)" >&2; exit 1; }; }

up() {
  need_root
  down >/dev/null 2>&1 || true
  ip netns add $CORE
  ip -n $CORE link set lo up
  for i in $(seq 1 $N); do
    ip netns add $P-far$i
    ip -n $P-far$i link set lo up
    ip -n $CORE link add c$i type veth peer name f$i netns $P-far$i
    ip -n $CORE addr add 10.79.$i.1/30 dev c$i
    ip -n $P-far$i addr add 10.79.$i.2/30 dev f$i
    ip -n $CORE link set c$i up
    ip -n $P-far$i link set f$i up
  done
  echo "demo lines up: $CORE + $P-far1..$N (10.79.N.2)"
}

down() {
  need_root
  for i in $(seq 1 $N); do ip netns del $P-far$i 2>/dev/null || true; done
  ip netns del $CORE 2>/dev/null || true
  echo "demo lines removed"
}

status() {
  ip netns list | grep "$P-" || echo "no demo lines"
}

# drop_table N TABLE MATCH: a table on far end N that drops incoming ICMP
# (all of it, or what MATCH selects). One nft command per object: the
# one-line "table { chain { …; } }" form is rejected by Debian 12's nftables
# 1.0.6 (a chain block inside a table needs its own ';' there).
drop_table() {
  local ns=$P-far$1 table=$2 match=$3
  ip netns exec "$ns" nft add table inet "$table"
  ip netns exec "$ns" nft add chain inet "$table" input '{ type filter hook input priority 0; policy accept; }'
  # shellcheck disable=SC2086 # MATCH is several nft words
  ip netns exec "$ns" nft add rule inet "$table" input ip protocol icmp $match drop
}

cut() {
  need_root
  local n=$1 secs=$2 how=${3:-local}
  case $how in
    local) ip -n $CORE link set c$n down; sleep "$secs"; ip -n $CORE link set c$n up ;;
    far) ip -n $P-far$n link set f$n down; sleep "$secs"; ip -n $P-far$n link set f$n up ;;
    blackhole)
      drop_table $n jgdemo ""
      sleep "$secs"
      ip netns exec $P-far$n nft delete table inet jgdemo ;;
    *) echo "cut: local, far or blackhole" >&2; exit 2 ;;
  esac
  echo "line $n was cut ($how) for $secs s"
}

loss() {
  need_root
  local n=$1 pct=$2
  ip netns exec $P-far$n nft delete table inet jgdemoloss 2>/dev/null || true
  if [ "$pct" != 0 ]; then
    drop_table $n jgdemoloss "numgen random mod 100 < $pct"
  fi
  echo "line $n: $pct % random loss"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  cut) cut "${2:?line}" "${3:?seconds}" "${4:-local}" ;;
  loss) loss "${2:?line}" "${3:?percent}" ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
