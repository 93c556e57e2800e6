#!/usr/bin/env bash
# A throw-away single-node Slurm cluster on this machine, for the Slurm test and the throughput
# bench: munged, slurmctld and slurmd with every file (key, sockets, state, spool, logs,
# slurm.conf) in DIR, on free ports, so it neither needs nor touches /etc/slurm, /etc/munge or
# another cluster on the host. Needs root (slurmd runs jobs as their submitting user) and
# Debian's slurm-wlm and munge (scripts/install_deps.sh).
#
#   local_cluster.sh start DIR [OWNER_PID]
#                                starts the daemons, waits until the node is idle; prints
#                                "export SLURM_CONF=DIR/slurm.conf" on stdout. Exit status 3:
#                                Slurm cannot run here (reason on stderr). With OWNER_PID, a
#                                detached watcher stops the cluster once that process is gone,
#                                even if it was killed before it could run `stop`.
#   local_cluster.sh stop DIR    cancels leftover jobs and stops exactly the daemons that
#                                `start DIR` started (their pid files), whatever state they are in.
set -euo pipefail

usage() { echo "usage: $0 start DIR [OWNER_PID] | stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || [ $# -eq 3 ] || usage
action=$1
owner_pid=${3:-}
dir=$(mkdir -p "$2" && cd "$2" && pwd)

cannot_run() { echo "local_cluster: Slurm cannot run here: $*" >&2; exit 3; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_daemon() {  # pid file, name
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  rm -f "$pidfile"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

if [ "$action" = stop ]; then
  if [ -f "$dir/slurm.conf" ] && [ -f "$dir/slurmctld.pid" ]; then
    SLURM_CONF="$dir/slurm.conf" timeout 10 scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  stop_daemon "$dir/slurmd.pid"
  stop_daemon "$dir/slurmctld.pid"
  stop_daemon "$dir/munged.pid"
  exit 0
fi
[ "$action" = start ] || usage

if [ -n "$owner_pid" ]; then
  # setsid: outside the owner's process group, so whatever kills the owner's group spares it.
  setsid -f bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; exec bash "$2" stop "$3"' \
    watcher "$owner_pid" "$(realpath "$0")" "$dir" </dev/null >/dev/null 2>&1
fi

[ "$(id -u)" -eq 0 ] || cannot_run "slurmd must run as root (this is uid $(id -u))"
for tool in munged mungekey slurmctld slurmd sbatch squeue sinfo scancel scontrol python3; do
  command -v "$tool" >/dev/null || cannot_run "'$tool' is not installed (scripts/install_deps.sh installs slurm-wlm and munge)"
done

host=$(hostname -s)
cpus=$(nproc)
memory_mb=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"

# munged refuses a key or socket folder others can write to; --force accepts a /tmp parent.
rm -f "$dir/munge/munge.key"
mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null 2>&1 ||
  cannot_run "mungekey could not create a key"
munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munge.seed" ||
  cannot_run "munged did not start (see $dir/munged.log)"

# batch_sched_delay=0: a submitted batch job is scheduled at the controller's next event pass
# (within a second) instead of waiting up to Slurm's default 3 s for the periodic pass, which
# on a quiet single-node cluster was most of an array's fixed cost (0.3-3 s per array).
cat >"$dir/slurm.conf" <<CONF
ClusterName=facemirror-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,batch_sched_delay=0
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
KillWait=10
MinJobAge=600
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
: >"$dir/plugstack.conf"
export SLURM_CONF="$dir/slurm.conf"

slurmctld -f "$SLURM_CONF" -i ||
  cannot_run "slurmctld did not start (see $dir/slurmctld.log)"
slurmd -f "$SLURM_CONF" ||
  cannot_run "slurmd did not start (see $dir/slurmd.log)"

for _ in $(seq 60); do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)
  if [ "$state" = idle ]; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
cannot_run "the node did not become idle within 30 s (state '${state:-none}'; see $dir/slurmctld.log, $dir/slurmd.log)"
