#!/usr/bin/env bash
# cluster_slurm: the shipped Slurm scripts (installer/cluster/) index the toy evaluation photos as
# a 3-task array plus a dependent merge on a real single-node Slurm that this test starts (munged,
# slurmctld, slurmd, all in a temporary folder, all stopped on exit, also on failure); the merged
# library must equal a plain one-machine `imago-cli index` of the same folder: the same photo
# paths (list), the same counts (status), each shard library naming its shard, and the same
# search results, paths and scores, for three queries. Then: a shard submitted again resumes
# (nothing re-embedded), and an array larger than N is refused before anything is indexed.
#   usage: slurm_cluster_test.sh IMAGO_CLI SOURCE_DIR SHARED_DIR
# Skips (exit 77) when not root or when munged, slurmctld, slurmd or the Slurm client programs
# are missing (Debian: apt-get install slurmctld slurmd slurm-client munge).
# IMAGO_CLUSTER_SLURM_ONLY=1 only starts Slurm, runs a trivial array job and stops it again.
set -euo pipefail
cli=${1:?usage: slurm_cluster_test.sh IMAGO_CLI SOURCE_DIR SHARED_DIR}
src=${2:?source dir}
shared=${3:?shared dir}
py=/usr/bin/python3

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $(date +%T) $*"; }
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (starts munged, slurmctld and slurmd)"
for prog in munged slurmctld slurmd sbatch sinfo squeue scontrol scancel runuser; do
  command -v "$prog" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$prog" >/dev/null 2>&1 ||
    skip "$prog is not installed (apt-get install slurmctld slurmd slurm-client munge)"
done
PATH=$PATH:/usr/sbin:/sbin
getent passwd munge >/dev/null || skip "there is no munge user (the munge package makes it)"
[ -x "$py" ] || skip "$py is missing"

# What the Imago part needs, checked before Slurm starts.
model=$shared/flava-toy
cluster=$src/installer/cluster
if [ "${IMAGO_CLUSTER_SLURM_ONLY:-}" != 1 ]; then
  [ -f "$model/config.json" ] || fail "no toy model at $model"
  [ -x "$cli" ] || fail "$cli is not a program"
  help=$("$cli" index --help) || fail "$cli index --help failed"
  grep -q -- '--shard' <<<"$help" || fail "$cli index has no --shard option"
  for f in submit.sh imago-index.sbatch imago-merge.sbatch; do
    [ -f "$cluster/$f" ] || fail "$cluster/$f is missing"
  done
fi

started=$(date +%s)
tmp=$(mktemp -d /tmp/imago-slurm.XXXXXX)
chmod 755 "$tmp"   # munged runs as munge and must reach its folder below
munged_pid=
slurm_pids=()

# stop_daemons PID...: SIGTERM, up to 5 s to exit, then SIGKILL.
stop_daemons() {
  local pid left
  kill -TERM "$@" 2>/dev/null
  for _ in $(seq 50); do
    left=
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left=1; done
    [ -n "$left" ] || return 0
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null
}

# leftovers: what this test's Slurm started and may outlive its daemons (a slurmstepd, a job's
# processes: both carry SLURM_CONF=$tmp/... in their environment, a job also SLURM_JOB_ID), and
# a daemon that died before its pid was read (its command line names $tmp).
leftovers() {
  local pid env
  for pid in $(pgrep -f -- "$tmp/" 2>/dev/null); do
    [ "$pid" = $$ ] || echo "$pid"
  done
  for pid in $(pgrep -x slurmstepd 2>/dev/null) $(pgrep -P 1 2>/dev/null); do
    env=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null) || continue
    grep -qxF "SLURM_CONF=$tmp/etc/slurm.conf" <<<"$env" || continue
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = slurmstepd ] || grep -q '^SLURM_JOB_ID=' <<<"$env"; then
      echo "$pid"
    fi
  done
}

# Cancel the jobs, stop every daemon this test started (slurmd and slurmctld, then munged) and
# what they left, and remove the temporary folder. Runs on every exit.
cleanup() {
  local rc=$? left
  set +e
  [ -z "${watchdog:-}" ] || kill "$watchdog" 2>/dev/null
  if [ -f "$tmp/slurmctld.pid" ]; then
    scancel --quiet --user=root >/dev/null 2>&1
    for _ in $(seq 100); do
      [ -z "$(squeue --noheader --format=%i 2>/dev/null | head -n 1)" ] && break
      sleep 0.1
    done
  fi
  # slurmd and slurmctld together, then munged (which they use to the end); 5 s each, then KILL.
  [ "${#slurm_pids[@]}" = 0 ] || stop_daemons "${slurm_pids[@]}"
  [ -z "$munged_pid" ] || stop_daemons "$munged_pid"
  left=$(leftovers | sort -u | tr '\n' ' ')
  if [ -n "$left" ]; then
    echo "-- killing what is left of this test's Slurm: $left"
    # shellcheck disable=SC2086 # a list of pids
    kill -KILL $left 2>/dev/null
  fi
  if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
    for log in "$tmp"/log/*.log "$tmp"/munge/munged.log "$tmp"/jobs/*.out; do
      [ -s "$log" ] || continue
      echo "==== $log (last 30 lines)"; tail -n 30 "$log"
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# CTest kills a test past its TIMEOUT (600 s) with SIGKILL, which no trap sees: stop at 570 s
# instead, so that the daemons still go.
limit=${IMAGO_CLUSTER_WATCHDOG_S:-570}
(
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  sleep "$limit" & nap=$!
  wait "$nap"
  echo "FAIL: still running after $limit s" >&2
  kill -TERM $$
  pkill -TERM -P $$
) &
watchdog=$!

# pidof_file FILE: the pid a daemon wrote, waiting up to 10 s for the file.
pidof_file() {
  for _ in $(seq 100); do
    [ -s "$1" ] && { cat "$1"; return 0; }
    sleep 0.1
  done
  return 1
}

# free_port: a TCP port in 20000-59999 nothing listens on.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { echo "$port"; return; }
  done
}

# ---- munge: a key (made once, in /etc/munge, as the package expects), munged on its own socket.
mkdir -p "$tmp/log" "$tmp/munge" "$tmp/etc" "$tmp/state" "$tmp/spool"
if [ ! -s /etc/munge/munge.key ]; then
  note "creating /etc/munge/munge.key"
  install -d -o munge -g munge -m 700 /etc/munge
  if command -v mungekey >/dev/null 2>&1; then
    mungekey --create --keyfile=/etc/munge/munge.key
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
chown munge:munge "$tmp/munge"
chmod 755 "$tmp/munge"   # clients need to reach the socket
sock=$tmp/munge/munge.socket
t0=$(date +%s%3N)
note "starting munged (socket $sock)"
runuser -u munge -- munged --force --socket="$sock" --pid-file="$tmp/munge/munged.pid" \
  --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munged.seed" ||
  { cat "$tmp/munge/munged.log" 2>/dev/null; fail "munged did not start"; }
munged_pid=$(pidof_file "$tmp/munge/munged.pid") || fail "munged wrote no pid file"

# ---- slurm.conf for one node, this machine, with everything in $tmp.
host=$(hostname -s)
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
# Nothing of an outer Slurm job or cluster (this test may run inside one) reaches this one.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SALLOC|SRUN)_' || true)
export SLURM_CONF=$tmp/etc/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=imagotest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool/%n
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$tmp/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
MailProg=/bin/true
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MinJobAge=5
InactiveLimit=0
KillWait=5
Waittime=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024)) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
cat >"$tmp/etc/cgroup.conf" <<'EOF'
CgroupPlugin=cgroup/v1
IgnoreSystemd=yes
EOF
: >"$tmp/etc/plugstack.conf"

note "starting slurmctld (port $ctld_port) and slurmd (port $slurmd_port) on $host"
slurmctld -f "$SLURM_CONF" -i || fail "slurmctld did not start"
slurm_pids+=("$(pidof_file "$tmp/slurmctld.pid")") || fail "slurmctld wrote no pid file"
slurmd -f "$SLURM_CONF" -N "$host" || fail "slurmd did not start"
slurm_pids+=("$(pidof_file "$tmp/slurmd.pid")") || fail "slurmd wrote no pid file"
state=
for _ in $(seq 300); do
  state=$(sinfo --noheader --nodes="$host" --format=%t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.1
done
[ "$state" = idle ] || fail "node $host is '$state', not idle, 30 s after slurmd started"
ms=$(($(date +%s%3N) - t0))
note "Slurm is up after $((ms / 1000)).$((ms % 1000 / 100)) s"

# A trivial array: Slurm itself runs jobs, before anything of Imago's is blamed.
# shellcheck disable=SC2016 # expanded by the job's shell
sbatch --quiet --array=0-3 --wait --output="$tmp/log/trivial-%a.out" \
  --wrap 'echo "task ${SLURM_ARRAY_TASK_ID}"' || fail "the trivial array job failed"
for k in 0 1 2 3; do
  [ "$(cat "$tmp/log/trivial-$k.out")" = "task $k" ] || fail "trivial array task $k printed something else"
done
note "a trivial 4-task array ran"
if [ "${IMAGO_CLUSTER_SLURM_ONLY:-}" = 1 ]; then
  note "IMAGO_CLUSTER_SLURM_ONLY=1: done after $(($(date +%s) - started)) s"
  exit 0
fi

# ---- Imago: the shipped scripts index the toy evaluation photos in 3 shards and merge them.
# Keep imago-cli away from the user's own data and settings (sbatch --export=ALL passes this
# environment on to the jobs).
export HOME=$tmp/home XDG_DATA_HOME=$tmp/home/data XDG_CONFIG_HOME=$tmp/home/config \
       XDG_CACHE_HOME=$tmp/home/cache
mkdir -p "$HOME"
unset IMAGO_LIBRARY IMAGO_SHARD_INDEX JOB_COMPLETION_INDEX IMAGO_DEVICE IMAGO_PRECISION \
      IMAGO_INDEX_ARGS IMAGO_SHARD_COUNT
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1

archive=$tmp/archive/photos
mkdir -p "$archive" "$tmp/jobs"
cp "$model"/eval/images/* "$archive/"
photos=$(find "$archive" -type f | wc -l)
export IMAGO_CLI=$cli IMAGO_MODEL=$model IMAGO_ARCHIVE=$archive IMAGO_SHARDS_DIR=$tmp/shards \
       IMAGO_MERGED_LIBRARY=$tmp/merged IMAGO_THREADS=1
# The shipped #SBATCH requests (4 CPUs, 6 GB) are for real photo archives; this node may have 2.
small=(--cpus-per-task=1 --mem=1G --time=20)

# wait_job ID: until no task of job ID is pending or running (squeue every 0.2 s, up to 5 min);
# prints each task's "JobState ExitCode".
wait_job() {
  for _ in $(seq 1500); do
    [ -z "$(squeue --noheader --jobs="$1" --format=%i 2>/dev/null)" ] && break
    sleep 0.2
  done
  scontrol --oneliner show job "$1" | sed -E 's/.* JobState=([A-Z_]+) .* ExitCode=([0-9:]+) .*/\1 \2/'
}

cd "$tmp/jobs"
t=$(date +%s)
note "submit.sh --shards 3 --wait ($photos photos)"
timeout 300 bash "$cluster/submit.sh" --shards 3 --wait -- "${small[@]}" | tee "$tmp/submit.log" ||
  fail "submit.sh --shards 3 --wait failed"
grep -qE '^index array job: [0-9]+ ' "$tmp/submit.log" || fail "submit.sh printed no array job id"
grep -qE '^merge job: [0-9]+ ' "$tmp/submit.log" || fail "submit.sh printed no merge job id"
note "3 shards indexed and merged in $(($(date +%s) - t)) s"

t=$(date +%s)
"$cli" index --library "$tmp/single" --model "$model" --threads 1 --json "$archive" \
  >"$tmp/single-index.json" || fail "the single-machine index failed"
note "the same folder indexed on one machine in $(($(date +%s) - t)) s"

# The JSON each library gives: status, list, and search for three queries.
queries=("a red circle" "a blue square" "a green triangle")
for lib in single merged shards/shard-0 shards/shard-1 shards/shard-2; do
  out=$tmp/out/$lib
  mkdir -p "$out"
  "$cli" status --library "$tmp/$lib" --json >"$out/status.json" || fail "status of $lib failed"
  "$cli" list --library "$tmp/$lib" --json >"$out/list.json" || fail "list of $lib failed"
  case $lib in shards/*) continue ;; esac
  for i in "${!queries[@]}"; do
    "$cli" search --library "$tmp/$lib" --model "$model" --threads 1 --json --top 10 \
      --rerank 0 "${queries[i]}" >"$out/search-$i.json" || fail "search in $lib failed"
  done
done

"$py" - "$tmp" "$photos" "${queries[@]}" <<'PY' || fail "the merged library differs from the single-machine one"
import json, sys
tmp, photos, queries = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
out = tmp + "/out"
def load(lib, name):
    with open(f"{out}/{lib}/{name}.json") as f:
        return json.load(f)
bad = []
def check(ok, what):
    if not ok:
        bad.append(what)

single, merged = load("single", "status"), load("merged", "status")
single_list = {p["path"]: p["status"] for p in load("single", "list")}
merged_list = {p["path"]: p["status"] for p in load("merged", "list")}
check(len(single_list) == photos, f"the single library lists {len(single_list)} photos, not {photos}")
check(single["counts"]["indexed"] == photos,
      f"the single library indexed {single['counts']['indexed']} of {photos} photos")
check(merged_list == single_list,
      "list differs: only merged %s, only single %s, status differs %s" % (
          sorted(set(merged_list) - set(single_list))[:5], sorted(set(single_list) - set(merged_list))[:5],
          [p for p in single_list if p in merged_list and merged_list[p] != single_list[p]][:5]))
check(merged["counts"] == single["counts"], f"counts: merged {merged['counts']}, single {single['counts']}")
check(merged.get("shard") is None, f"the merged library says it is shard {merged.get('shard')}")
check(merged.get("merged_shard_count") == 3,
      f"the merged library's merged_shard_count is {merged.get('merged_shard_count')}, not 3")
check(merged["model_identity"] == single["model_identity"], "the model identities differ")
check(sorted(r["path"] for r in merged["roots"]) == sorted(r["path"] for r in single["roots"]),
      f"roots: merged {merged['roots']}, single {single['roots']}")

seen = {}
for k in range(3):
    lib = f"shards/shard-{k}"
    st = load(lib, "status")
    check(st.get("shard") == {"index": k, "count": 3}, f"{lib}'s status says shard {st.get('shard')}")
    paths = [p["path"] for p in load(lib, "list")]
    check(len(paths) > 0, f"{lib} is empty")
    check(st["counts"]["total"] == len(paths), f"{lib}: status total {st['counts']['total']}, list {len(paths)}")
    for p in paths:
        check(p not in seen, f"{p} is in shard-{seen.get(p)} and shard-{k}")
        seen[p] = k
check(set(seen) == set(single_list), "the shards together do not hold exactly the single library's photos")

for i, q in enumerate(queries):
    a = [(r["path"], r["score"]) for r in load("single", f"search-{i}")["results"]]
    b = [(r["path"], r["score"]) for r in load("merged", f"search-{i}")["results"]]
    check(len(a) == 10, f"'{q}': the single library gives {len(a)} results, not 10")
    # Same photos in the same order; scores equal up to float rounding (an fp32 GEMM need not
    # give the same bits for an image in a batch of another size: OpenBLAS on Zen 1 does not).
    if [x[0] for x in a] != [y[0] for y in b] or any(abs(x[1] - y[1]) > 1e-5 for x, y in zip(a, b)):
        diff = max((abs(x[1] - y[1]) for x, y in zip(a, b) if x[0] == y[0]), default=None)
        bad.append(f"'{q}': single {a}\n   merged {b}\n   (largest score difference for the "
                   f"same path {diff})")
print("-- %d photos: shards of %s, same list, counts, roots and top-10 for %d queries" % (
    photos, [sum(1 for v in seen.values() if v == k) for k in range(3)], len(queries)))
for b in bad:
    print("FAIL:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

# A shard submitted again (sbatch --array=1, as after a failure) resumes: nothing re-embedded.
t=$(date +%s)
id=$(sbatch --parsable --array=1 --export=ALL,IMAGO_SHARD_COUNT=3 "${small[@]}" \
       "$cluster/imago-index.sbatch")
states=$(wait_job "${id%%;*}")
[ "$states" = "COMPLETED 0:0" ] || fail "shard 1 submitted again: $states"
"$py" - "$tmp/shards/shard-1.json" "$tmp/out/shards/shard-1/status.json" <<'PY' ||
import json, sys
summary, status = (json.load(open(p)) for p in sys.argv[1:])
if summary["indexed"] != 0 or summary["unchanged"] != status["counts"]["indexed"]:
    sys.exit(f"FAIL: shard 1 again: indexed {summary['indexed']}, unchanged {summary['unchanged']}"
             f" (it holds {status['counts']['indexed']})")
PY
  fail "shard 1 submitted again did not just resume"
note "shard 1 submitted again: all unchanged ($(($(date +%s) - t)) s)"

# An array larger than N fails at once, saying why, before imago-cli runs.
id=$(sbatch --parsable --array=0-3 --export=ALL,IMAGO_SHARD_COUNT=3 "${small[@]}" \
       --output="$tmp/jobs/mismatch-%a.out" "$cluster/imago-index.sbatch")
states=$(wait_job "${id%%;*}" | sort -u)
[ "$states" = "FAILED 2:0" ] || fail "--array=0-3 with IMAGO_SHARD_COUNT=3: tasks ended '$states', not FAILED 2:0"
grep -q 'the array must be --array=0-2' "$tmp/jobs/mismatch-0.out" ||
  fail "--array=0-3 with IMAGO_SHARD_COUNT=3 did not say why: $(cat "$tmp/jobs/mismatch-0.out")"
[ ! -e "$tmp/shards/shard-3" ] || fail "a shard-3 library was made for --array=0-3 with N=3"
note "--array=0-3 with IMAGO_SHARD_COUNT=3 refused"

note "PASS in $(($(date +%s) - started)) s"
