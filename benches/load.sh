#!/usr/bin/env bash
# HTTP load benchmark of the check path, against a release build on 127.0.0.1, with wrk.
# The server runs on core 0 and the load generator on core 1. Every figure is printed with
# its ratio to a baseline: a minimal axum server that parses the same body and answers a fixed
# decision (the HTTP ceiling of this machine), measured again just before each scenario with
# the same load, so that a shared machine's drift over the run does not skew the ratios.
#
#   bash benches/load.sh            # 10 s per run
#   DURATION=5s bash benches/load.sh
#
# Needs wrk (Debian package `wrk`), and PostgreSQL and Redis as the test suite starts them.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
BIG=${BIG:-1000000}
source .ci/services.sh
command -v wrk >/dev/null || apt_install wrk
cargo build --release --quiet --bin portier --example baseline-server --example seed
bin=target/release
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }
pg_database() {
  local name=portier_bench_$1
  psql "$PORTIER_TEST_POSTGRES/postgres" -qc "drop database if exists $name with (force)" -c "create database $name" >/dev/null
  echo "$PORTIER_TEST_POSTGRES/$name"
}

# serve NAME DATABASE_URL [REDIS_URL] → starts Portier on core 0, sets $url and $pid
serve() {
  local p; p=$(port)
  env PORTIER_ADMIN_TOKEN=bench-admin-token-0001 PORTIER_CHECK_TOKEN=bench-check-token-0001 RUST_LOG=warn ${3:+REDIS_URL=$3} \
    PORTIER_REDIS_PREFIX="bench-$RANDOM:" \
    taskset -c 0 "$bin/portier" serve --bind "127.0.0.1:$p" --database-url "$2" >"$work/$1.log" 2>&1 &
  pid=$!; pids+=("$pid"); url="http://127.0.0.1:$p"
  wait_port "$p" || { cat "$work/$1.log" >&2; exit 1; }
}

declare -A baseline_rps baseline_p99 rps_of p99_of pair_rps pair_p99
rows=()
base_url="" # the baseline server, kept running for the paired measurements
to_us() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n*1000; else if (v ~ /s$/) print n*1000000; else print n }'; }
# measure LABEL CONCURRENCY [env…] → one row of the table
measure() {
  local label=$1 c=$2; shift 2
  if [[ $label != baseline* && $label != warmup && $c -gt 1 ]]; then
    local paired; paired=$(env "$@" taskset -c 1 wrk -t1 -c"$c" -d"$DURATION" --latency -s benches/check.lua "$base_url")
    pair_rps["$label|$c"]=$(awk '/Requests\/sec/ {print $2}' <<<"$paired")
    pair_p99["$label|$c"]=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$paired")")
  fi
  local out; out=$(env "$@" taskset -c 1 wrk -t1 -c"$c" -d"$DURATION" --latency -s benches/check.lua "$url")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  local errors; errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  if [[ $label == baseline* ]]; then baseline_rps[$c]=$rps; baseline_p99[$c]=$p99; fi
  rps_of["$label|$c"]=$rps; p99_of["$label|$c"]=$(to_us "$p99")
  rows+=("$label|$c|$rps|$p50|$p99|${errors:-}")
}

echo "loading data: 1 000 and $BIG principals, SQLite and PostgreSQL"
"$bin/examples/seed" "sqlite://$work/small.db" 1000
"$bin/examples/seed" "sqlite://$work/big.db" "$BIG"
pg_small=$(pg_database small); "$bin/examples/seed" "$pg_small" 1000
pg_big=$(pg_database big); "$bin/examples/seed" "$pg_big" "$BIG"

p=$(port); taskset -c 0 "$bin/examples/baseline-server" "127.0.0.1:$p" & pids+=("$!"); url="http://127.0.0.1:$p"; wait_port "$p"
base_url=$url
for c in 16 64; do measure "baseline (fixed answer)" "$c" PRINCIPALS=1000; done

serve memory "sqlite://$work/small.db"
DURATION=3s measure warmup 16 PRINCIPALS=1000 SPREAD=1000 >/dev/null
for c in 16 64; do measure "warm cache, in-process, SQLite 1k" "$c" PRINCIPALS=1000 SPREAD=1000; done
for c in 16 64; do measure "new resource each check, SQLite 1k" "$c" PRINCIPALS=1000 MISS=1; done
for c in 16 64; do measure "fresh (store read each check), SQLite 1k" "$c" PRINCIPALS=1000 FRESH=1; done
measure "single check, warm (c=1)" 1 PRINCIPALS=1000 SPREAD=1000
measure "batch of 50, warm (c=1)" 1 PRINCIPALS=1000 SPREAD=1000 BATCH=50
measure "single check, new resource (c=1)" 1 PRINCIPALS=1000 MISS=1
measure "batch of 50, new resources (c=1)" 1 PRINCIPALS=1000 MISS=1 BATCH=50
measure "single check, fresh (c=1)" 1 PRINCIPALS=1000 FRESH=1
measure "batch of 50, fresh (c=1)" 1 PRINCIPALS=1000 FRESH=1 BATCH=50
kill "$pid"

serve redis "$pg_small" "$PORTIER_TEST_REDIS"
DURATION=3s measure warmup 16 PRINCIPALS=1000 SPREAD=1000 >/dev/null
for c in 16 64; do measure "warm cache, Redis, PostgreSQL 1k" "$c" PRINCIPALS=1000 SPREAD=1000; done
for c in 16 64; do measure "new resource each check, PostgreSQL+Redis 1k" "$c" PRINCIPALS=1000 MISS=1; done
for c in 64; do measure "fresh, PostgreSQL+Redis 1k" "$c" PRINCIPALS=1000 FRESH=1; done
kill "$pid"

serve big-pg "$pg_big"
for c in 64; do measure "new resource each check, PostgreSQL $BIG" "$c" PRINCIPALS="$BIG" MISS=1; done
for c in 64; do measure "fresh, PostgreSQL $BIG" "$c" PRINCIPALS="$BIG" FRESH=1; done
kill "$pid"

serve big-sqlite "sqlite://$work/big.db"
for c in 64; do measure "new resource each check, SQLite $BIG" "$c" PRINCIPALS="$BIG" MISS=1; done
for c in 64; do measure "fresh, SQLite $BIG" "$c" PRINCIPALS="$BIG" FRESH=1; done
measure "cached (in-process), SQLite $BIG, all distinct" 64 PRINCIPALS="$BIG"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
kill "$pid"

printf '\n%-48s %4s %10s %9s %9s %10s %9s %9s\n' scenario c req/s p50 p99 "base req/s" "rps/base" "p99/base"
for row in "${rows[@]}"; do
  IFS='|' read -r label c rps p50 p99 errors <<<"$row"
  [[ $label == warmup ]] && continue
  base=${pair_rps["$label|$c"]:-${baseline_rps[$c]:-${baseline_rps[16]}}}
  bp99=${pair_p99["$label|$c"]:-${baseline_p99[$c]:-${baseline_p99[16]}}}
  ratio=$(awk -v a="$rps" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
  p99ratio=$(awk -v a="$(to_us "$p99")" -v b="$(to_us "$bp99")" 'BEGIN { printf "%.2f", a / b }')
  printf '%-48s %4s %10s %9s %9s %10s %9s %9s %s\n' "$label" "$c" "$rps" "$p50" "$p99" "$base" "$ratio" "$p99ratio" "$errors"
done
printf '\nresident set size of the server after the %s-principal run: %d MiB\n' "$BIG" $((rss / 1024))

# target NAME VALUE OP LIMIT → one line of the targets table
target() {
  local verdict; verdict=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { ok = (op == ">=") ? v >= l : v <= l; print ok ? "met" : "NOT met" }')
  printf '%-62s %7.2f  %s %-5s %s\n' "$1" "$2" "$3" "$4" "$verdict"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }
printf '\ntargets\n'
target "warm cache, in-process: req/s vs baseline (c=64)" "$(ratio "${rps_of["warm cache, in-process, SQLite 1k|64"]}" "${pair_rps["warm cache, in-process, SQLite 1k|64"]}")" ">=" 0.75
target "warm cache, in-process: p99 vs baseline (c=64)" "$(ratio "${p99_of["warm cache, in-process, SQLite 1k|64"]}" "${pair_p99["warm cache, in-process, SQLite 1k|64"]}")" "<=" 2
target "new resource each check, SQLite: req/s vs baseline (c=64)" "$(ratio "${rps_of["new resource each check, SQLite 1k|64"]}" "${pair_rps["new resource each check, SQLite 1k|64"]}")" ">=" 0.60
target "new resource each check, PostgreSQL+Redis: vs baseline (c=64)" "$(ratio "${rps_of["new resource each check, PostgreSQL+Redis 1k|64"]}" "${pair_rps["new resource each check, PostgreSQL+Redis 1k|64"]}")" ">=" 0.40
target "fresh, SQLite: req/s vs baseline (c=64)" "$(ratio "${rps_of["fresh (store read each check), SQLite 1k|64"]}" "${pair_rps["fresh (store read each check), SQLite 1k|64"]}")" ">=" 0.25
target "batch of 50 new resources: time vs one check (c=1)" "$(ratio "${rps_of["single check, new resource (c=1)|1"]}" "${rps_of["batch of 50, new resources (c=1)|1"]}")" "<=" 5
target "new resource each check, SQLite: $BIG vs 1k principals" "$(ratio "${rps_of["new resource each check, SQLite $BIG|64"]}" "${rps_of["new resource each check, SQLite 1k|64"]}")" ">=" 0.8
target "fresh, SQLite: $BIG vs 1k principals" "$(ratio "${rps_of["fresh, SQLite $BIG|64"]}" "${rps_of["fresh (store read each check), SQLite 1k|64"]}")" ">=" 0.8
target "resident set size after the $BIG-principal run (MiB)" "$((rss / 1024))" "<=" 64
