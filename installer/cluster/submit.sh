#!/usr/bin/env bash
# Imago on Slurm: submit the indexing array (imago-index.sbatch, one task per shard) and the
# merge job (imago-merge.sbatch) that runs once every shard succeeded.
#
#   usage: submit.sh --shards N [--max-running M] [--wait] [--dry-run] [-- SBATCH_OPTION...]
#
#   --shards N        the number of shards (default: $IMAGO_SHARD_COUNT); both jobs get it
#   --max-running M   at most M shards at a time (--array=0-N-1%M)
#   --wait            wait for the merge job to end (sbatch --wait); the exit code is then the
#                     merge's (non-zero too when a shard failed and the merge was cancelled)
#   --dry-run         print the sbatch commands instead of running them
#   SBATCH_OPTION...  passed to both sbatch calls (e.g. --partition=cpu --account=photos)
#
# Settings (archive, shard folder, model, imago-cli) are the variables at the top of the two
# .sbatch files; IMAGO_* variables set in the environment override them (both jobs see this
# environment). Prints the two job ids.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() { sed -n '5,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }
die() { echo "submit.sh: error: $*" >&2; exit 2; }

count=${IMAGO_SHARD_COUNT:-}
max_running=
wait=
dry=
while [ $# -gt 0 ]; do
  case $1 in
    --shards) [ $# -ge 2 ] || usage; count=$2; shift 2 ;;
    --shards=*) count=${1#*=}; shift ;;
    --max-running) [ $# -ge 2 ] || usage; max_running=$2; shift 2 ;;
    --max-running=*) max_running=${1#*=}; shift ;;
    --wait) wait=1; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    *) die "unknown option '$1' (sbatch options go after --)" ;;
  esac
done
sbatch_opts=("$@")
[[ $count =~ ^[1-9][0-9]*$ ]] || die "give the number of shards: --shards N (it is '${count}')"
[ -z "$max_running" ] || [[ $max_running =~ ^[1-9][0-9]*$ ]] ||
  die "--max-running needs a number (it is '$max_running')"
[ -n "$dry" ] || command -v sbatch >/dev/null || die "sbatch is not on PATH (not a Slurm login node?)"

array=0-$((count - 1))${max_running:+%$max_running}
index_cmd=(sbatch --parsable --array="$array" --export="ALL,IMAGO_SHARD_COUNT=$count"
           "${sbatch_opts[@]}" "$here/imago-index.sbatch")
# --kill-on-invalid-dep: when a shard fails, the merge is cancelled instead of pending forever.
merge_cmd=(sbatch --parsable --dependency=afterok:JOBID --kill-on-invalid-dep=yes
           --export="ALL,IMAGO_SHARD_COUNT=$count" ${wait:+--wait}
           "${sbatch_opts[@]}" "$here/imago-merge.sbatch")

if [ -n "$dry" ]; then
  printf '%q ' "${index_cmd[@]}"; echo
  printf '%q ' "${merge_cmd[@]}"; echo
  exit 0
fi

index_id=$("${index_cmd[@]}")
index_id=${index_id%%;*}   # --parsable prints "ID" or "ID;CLUSTER"
echo "index array job: $index_id ($count shards, --array=$array)"
merge_cmd=("${merge_cmd[@]/afterok:JOBID/afterok:$index_id}")
if [ -z "$wait" ]; then
  merge_id=$("${merge_cmd[@]}")
  echo "merge job: ${merge_id%%;*} (after the array succeeds)"
  exit 0
fi
idfile=$(mktemp)
trap 'rm -f "$idfile"' EXIT
# sbatch --wait prints the id when it submits and exits when the job ends, with its exit code;
# a merge cancelled because a shard failed never ran and "exits" 0, so its state decides.
set +e
"${merge_cmd[@]}" | {
  read -r merge_id
  echo "merge job: ${merge_id%%;*} (waiting for it to end)"
  echo "${merge_id%%;*}" >"$idfile"
  cat
}
rc=${PIPESTATUS[0]}
set -e
merge_id=$(cat "$idfile")
[ -n "$merge_id" ] || { echo "submit.sh: the merge job was not submitted" >&2; exit "$((rc ? rc : 1))"; }
# job_states ID: "JobState Reason" of each of the job's tasks (while slurmctld remembers them).
job_states() {
  scontrol --oneliner show job "$1" 2>/dev/null |
    sed -nE 's/.* JobState=([A-Z_]+) Reason=([^ ]+) .*/\1 \2/p'
}
state=$(job_states "$merge_id" | head -n 1)
if [ "$rc" = 0 ] && { [ -z "$state" ] || [ "${state%% *}" = COMPLETED ]; }; then
  echo "merge job done"
  exit 0
fi
[ "$rc" != 0 ] || rc=1
echo "submit.sh: the merge job ended ${state:-with exit code $rc}" >&2
failed=$(job_states "$index_id" | grep -cv '^COMPLETED ' || true)
[ "$failed" = 0 ] ||
  echo "submit.sh: $failed of $count shards did not complete (see their imago-index-${index_id}_K.out;" \
       "submit only those again: sbatch --array=K,... --export=ALL,IMAGO_SHARD_COUNT=$count" \
       "$here/imago-index.sbatch, then imago-merge.sbatch)" >&2
exit "$rc"
