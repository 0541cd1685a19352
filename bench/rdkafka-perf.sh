#!/usr/bin/env bash
# Produce benchmark with a third-party load generator: librdkafka's rdkafka_performance
# (build it with ../shared/tools/rdkafka-perf/build.sh) against `samsa server` from one or more
# checkouts, alternating them, on the file engine. Per run it prints MB/s, the broker's CPU
# seconds per GB (from /proc, all its threads), MB/s per broker core, page faults per GB and the CPU of the broker's
# threads by name (main thread, V8 workers = background GC and compilation, libuv pool = file I/O).
#   usage: bench/rdkafka-perf.sh RDKAFKA_PERFORMANCE RECORDS ROUNDS CHECKOUT [CHECKOUT...]
#   e.g.   bench/rdkafka-perf.sh /tmp/rdkafka_performance 1000000 3 /tmp/samsa-base .
# Environment: ACKS (1), PARTITIONS (8), SIZE (1024), NODE_ARGS (extra node flags, e.g. --trace-gc),
# PERF_RECORD (a directory: `perf record -g` of the broker during the load, one file per run, and
# its breakdown by cause and thread from bench/perf-breakdown.ts, GC share first; add
# NODE_ARGS=--perf-basic-prof to name JIT frames), PERF_STAT (a directory: `perf stat` of the broker
# during the load: context switches, page faults and syscalls per GB), KEEP (keep the data
# directory and broker log), STEADY_PAGE_CACHE (measure with a full page cache, as a long-running
# broker's machine has: before the rounds, fill the free memory with a file's cached pages, and keep
# every round's data until all rounds ended, since deleting it would free its pages; see below).
#
# Why STEADY_PAGE_CACHE: on this VM (Firecracker, virtio-balloon free page reporting) the host takes
# back guest pages that stay free for a few seconds, and the guest's first write into such a page
# costs ~2 s of system time per GB (`dd` of 20 GB into fresh pages: 41 s sys; into pages reclaimed
# from the page cache: ~0.5 s/GB). Without it, every build's segment writes pay that per GB, more or
# less depending on how long the machine was idle; with it, new page-cache pages come from reclaim,
# as on a broker whose page cache filled long ago.
set -euo pipefail
perf=${1:?rdkafka_performance binary}; records=${2:?records}; rounds=${3:?rounds}; shift 3
acks=${ACKS:-1}; partitions=${PARTITIONS:-8}; size=${SIZE:-1024}
hz=$(getconf CLK_TCK)
here=$(cd "$(dirname "$0")" && pwd)

cpu_of() { # user+system ticks of a pid or tid stat file
  awk '{ s=$0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "$1"
}
faults_of() { # minor + major page faults of a pid (all its threads)
  awk '{ s=$0; sub(/^.*\) /, "", s); split(s, f, " "); print f[8] + f[10] }' "$1"
}

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

run_one() {
  local checkout=$1 label=$2
  local port; port=$(free_port)
  local dir; dir=$(mktemp -d /tmp/samsa-rdperf-XXXXXX)
  # shellcheck disable=SC2086
  node ${NODE_ARGS:-} "$checkout/packages/cli/dist/src/bin/samsa.js" server --storage file \
    --override "listeners=PLAINTEXT://127.0.0.1:$port" --override "advertised.listeners=PLAINTEXT://127.0.0.1:$port" \
    --override "log.dirs=$dir/logs" --override auto.create.topics.enable=false >"$dir/broker.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 200); do grep -q "started" "$dir/broker.log" 2>/dev/null && break; sleep 0.05; done
  node "$checkout/packages/cli/dist/src/bin/samsa.js" topics --create --topic perf --partitions "$partitions" \
    --config segment.bytes=268435456 --config retention.bytes=536870912 --bootstrap-server "127.0.0.1:$port" >/dev/null
  local before; before=$(cpu_of "/proc/$pid/stat")
  local faults_before; faults_before=$(faults_of "/proc/$pid/stat")
  declare -A tb=()
  for t in /proc/$pid/task/*; do tb[$(basename "$t")]=$(cpu_of "$t/stat"); done
  local perf_pid=""
  if [ -n "${PERF_RECORD:-}" ]; then
    mkdir -p "$PERF_RECORD"
    perf record -g -p "$pid" -o "$PERF_RECORD/$label.perf.data" >/dev/null 2>&1 & perf_pid=$!
    sleep 0.5
  fi
  local stat_pid=""
  if [ -n "${PERF_STAT:-}" ]; then
    mkdir -p "$PERF_STAT"
    perf stat -e task-clock,context-switches,page-faults,syscalls:sys_enter_read,syscalls:sys_enter_pwritev,syscalls:sys_enter_pwrite64,syscalls:sys_enter_writev,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_pwait \
      -p "$pid" -o "$PERF_STAT/$label.stat" >/dev/null 2>&1 & stat_pid=$!
    sleep 0.5
  fi
  local t0; t0=$(date +%s.%N)
  "$perf" -P -t perf -b "127.0.0.1:$port" -s "$size" -c "$records" -a "$acks" -X linger.ms=5 -X batch.size=1000000 \
    -X queue.buffering.max.kbytes=2097151 -q >"$dir/perf.log" 2>&1 || { echo "rdkafka_performance failed:"; tail -5 "$dir/perf.log"; }
  local t1; t1=$(date +%s.%N)
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; }
  [ -n "$stat_pid" ] && { kill -INT "$stat_pid"; wait "$stat_pid" 2>/dev/null || true; }
  local after; after=$(cpu_of "/proc/$pid/stat")
  local faults_after; faults_after=$(faults_of "/proc/$pid/stat")
  local threads=""
  declare -A byname=()
  for t in /proc/$pid/task/*; do
    local id; id=$(basename "$t"); local name; name=$(tr ' ' '_' <"$t/comm")
    [ "$id" = "$pid" ] && name=main
    local d=$(( $(cpu_of "$t/stat") - ${tb[$id]:-0} ))
    byname[$name]=$(( ${byname[$name]:-0} + d ))
  done
  for n in "${!byname[@]}"; do threads+="$n=$(awk -v t="${byname[$n]}" -v hz="$hz" 'BEGIN{printf "%.1f", t/hz}')s "; done
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  awk -v n="$records" -v s="$size" -v c=$((after - before)) -v pf=$((faults_after - faults_before)) -v hz="$hz" -v w="$(echo "$t1 - $t0" | bc)" -v l="$label" -v th="$threads" -v la="$load" 'BEGIN{
    mb = n * s / 1e6; cpu = c / hz
    printf "%-10s %8.0f MB/s  %6.2f broker CPU-s/GB  %6.0f MB/s per broker core  %7.0f faults/GB  (wall %.1fs, broker CPU %.1fs, load %s) threads: %s\n", l, mb / w, cpu / (mb / 1000), mb / cpu, pf / (mb / 1000), w, cpu, la, th }'
  if [ -n "$stat_pid" ]; then
    # Counts per GB: context switches, page faults and syscalls (socket reads, file writes, thread-pool wake-ups).
    awk -v gb="$(awk -v n="$records" -v s="$size" 'BEGIN { print n * s / 1e9 }')" '$1 ~ /^[0-9,.]+$/ && $2 != "msec" && $2 != "seconds" { gsub(",", "", $1); sub("syscalls:sys_enter_", "", $2); printf "%s %.0f/GB  ", $2, $1 / gb } END { print "" }' "$PERF_STAT/$label.stat" | sed 's/^/           /'
  fi
  if [ -n "$perf_pid" ]; then
    # Where the broker's CPU went, GC on every thread included (bench/perf-breakdown.ts).
    perf script -F pid,tid,ip,sym,dso -i "$PERF_RECORD/$label.perf.data" 2>/dev/null >"$PERF_RECORD/$label.script"
    echo "           $(node -C source --import tsx "$here/perf-breakdown.ts" --summary <"$PERF_RECORD/$label.script")"
    node -C source --import tsx "$here/perf-breakdown.ts" <"$PERF_RECORD/$label.script" >"$PERF_RECORD/$label.breakdown.md"
    rm -f "$PERF_RECORD/$label.script"
  fi
  if [ -n "${KEEP:-}" ]; then echo "kept $dir"
  elif [ -n "${STEADY_PAGE_CACHE:-}" ]; then steady_dirs+=("$dir")
  else rm -rf "$dir"; fi
}

steady_dirs=()
if [ -n "${STEADY_PAGE_CACHE:-}" ]; then
  fill=$(mktemp -d /tmp/samsa-rdperf-fill-XXXXXX)
  steady_dirs+=("$fill")
  trap 'rm -rf "${steady_dirs[@]}"' EXIT
  free_mb=$(awk '/^MemFree:/ { print int($2 / 1024) }' /proc/meminfo)
  need_mb=$(( free_mb + rounds * $# * records * size / 1048576 * 11 / 10 ))
  disk_mb=$(df --output=avail -BM /tmp | tail -1 | tr -d 'M ')
  [ "$need_mb" -lt "$disk_mb" ] || { echo "STEADY_PAGE_CACHE needs ${need_mb} MB on /tmp, ${disk_mb} MB free"; exit 1; }
  echo "filling the page cache: ${free_mb} MB of free memory (rounds' data is kept to the end)"
  dd if=/dev/zero of="$fill/fill" bs=1M count="$free_mb" status=progress 2>&1 | tr '\r' '\n' | grep -E 'copied' | awk 'NR % 10 == 0'
fi

for round in $(seq 1 "$rounds"); do
  for checkout in "$@"; do
    run_one "$(cd "$checkout" && pwd)" "$(basename "$(cd "$checkout" && pwd)")#$round"
  done
done
