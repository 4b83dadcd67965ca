#!/usr/bin/env bash
# Brings up a single-node Slurm cluster on this machine (Debian 12, as root), so
# the Slurm tests run against the real scheduler: Debian's slurmctld, slurmd,
# slurm-client and munge (Slurm 22.05). The recipe and Slurm's measured
# behaviour are in the engineering facts ("A real Slurm cluster on one machine").
#
# Idempotent: packages are installed only when missing, configuration files are
# rewritten only when they differ, and daemons already running are left alone
# (restarted only when their configuration changed). A slurm.conf that this
# script did not write is never overwritten.
#
# Environment: WORKBENCH_SLURM_PARTITION (default "debug"),
# WORKBENCH_SLURM_WAIT (seconds to wait for the node, default 90).
set -euo pipefail

partition="${WORKBENCH_SLURM_PARTITION:-debug}"
wait_s="${WORKBENCH_SLURM_WAIT:-90}"
marker='# Written by .ci/slurm-up.sh (single-node test cluster).'
conf_dir=/etc/slurm
state_dir=/var/lib/slurm
log_dir=/var/log/slurm

say() { echo "slurm-up: $*" >&2; }
die() {
  echo "slurm-up: error: $*" >&2
  for f in "$log_dir/slurmctld.log" "$log_dir/slurmd.log"; do
    if [ -f "$f" ]; then
      echo "--- last lines of $f" >&2
      tail -n 15 "$f" >&2
    fi
  done
  exit 1
}

[ "$(id -u)" = 0 ] || die "run as root: this installs packages and starts system daemons."
started_at=$(date +%s)

# --- packages ---------------------------------------------------------------
missing=()
for pkg in slurmctld slurmd slurm-client munge; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The packages' maintainer scripts would start the daemons before they are
  # configured; a policy-rc.d that answers 101 ("action forbidden") stops that
  # (Debian's invoke-rc.d and deb-systemd-invoke both honour it). Only one we
  # created ourselves is removed again.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if trap -p EXIT | grep -q policy-rc.d; then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
fi

# --- configuration ----------------------------------------------------------
host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
# slurmd drains a node that has less memory than configured; leave the OS 10 %.
real_mb=$((mem_mb * 9 / 10))
# Without a default, a job that does not ask for memory is given the whole
# node and blocks every other job; a share per CPU lets jobs run side by side.
def_mem_per_cpu=$((real_mb / cpus))

# The machines here mount cgroup v1 and slurmd refuses CgroupPlugin=disabled;
# on a cgroup-v2-only machine let slurmd pick its plugin.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cgroup_plugin=autodetect; else cgroup_plugin=cgroup/v1; fi

install -d -m 0755 "$conf_dir" "$log_dir" "$state_dir/slurmctld" "$state_dir/slurmd"

slurm_conf=$(
  cat <<EOF
$marker
ClusterName=workbench
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state_dir/slurmctld
SlurmdSpoolDir=$state_dir/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$log_dir/slurmctld.log
SlurmdLogFile=$log_dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$def_mem_per_cpu
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# A node that comes back after a restart takes jobs again without an admin.
ReturnToService=2
# MinJobAge keeps Slurm's default (300 s): the workbench reads a finished job's
# end state from its job folder, and the tests run against what labs have.
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$real_mb State=UNKNOWN
PartitionName=$partition Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
)
cgroup_conf=$(
  cat <<EOF
$marker
CgroupPlugin=$cgroup_plugin
EOF
)

conf_changed=0
# Writes $2 to $1 unless it already holds exactly that; refuses to replace a
# file this script did not write (a real cluster's configuration).
write_conf() {
  local file=$1 content=$2
  if [ -f "$file" ] && [ "$(cat "$file")" = "$content" ]; then return 0; fi
  if [ -f "$file" ] && ! head -n 1 "$file" | grep -qxF "$marker"; then
    say "$file exists and was not written by this script; leaving it alone"
    return 0
  fi
  printf '%s\n' "$content" >"$file.tmp"
  chmod 644 "$file.tmp"
  mv "$file.tmp" "$file"
  conf_changed=1
  say "wrote $file"
}
write_conf "$conf_dir/slurm.conf" "$slurm_conf"
write_conf "$conf_dir/cgroup.conf" "$cgroup_conf"

# --- munge ------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  install -d -o munge -g munge -m 0700 /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  say "wrote a new munge key"
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge

# True when the pid file names a live process with that command name.
alive() {
  local pidfile=$1 name=$2 pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]
}

# Stops the daemon named by its pid file (used only when its configuration changed).
stop_daemon() {
  local pidfile=$1 name=$2 pid i
  alive "$pidfile" "$name" || return 0
  pid=$(cat "$pidfile")
  kill "$pid"
  for i in $(seq 1 50); do
    [ -d "/proc/$pid" ] || return 0
    sleep 0.2
  done
  die "$name (pid $pid) did not stop within 10 s"
}

if ! alive /run/munge/munged.pid munged; then
  say "starting munged"
  # As root munged needs --force; it then warns about its log file's owner (harmless).
  munged --force 2>/dev/null || die "munged did not start (see /var/log/munge/munged.log)"
fi
munge -n | unmunge >/dev/null 2>&1 || die "munge does not work: a credential made with 'munge -n' was refused by 'unmunge'"

# --- slurmctld, slurmd --------------------------------------------------------
if [ "$conf_changed" = 1 ]; then
  stop_daemon /run/slurmd.pid slurmd
  stop_daemon /run/slurmctld.pid slurmctld
fi
if ! alive /run/slurmctld.pid slurmctld; then
  say "starting slurmctld"
  slurmctld || die "slurmctld did not start"
fi
for i in $(seq 1 60); do
  scontrol ping 2>/dev/null | grep -q 'is UP' && break
  [ "$i" = 60 ] && die "slurmctld does not answer 'scontrol ping' after 30 s"
  sleep 0.5
done
if ! alive /run/slurmd.pid slurmd; then
  say "starting slurmd"
  slurmd || die "slurmd did not start"
fi

# --- wait for the node ---------------------------------------------------------
deadline=$(($(date +%s) + wait_s))
resumed=0
while :; do
  state=$(sinfo -h -n "$host" -o '%T' 2>/dev/null | head -n 1 || true)
  case "$state" in
    idle | mixed | allocated | completing) break ;;
    drain* | down* | fail*)
      # A node left drained by an earlier run (e.g. killed mid-job) is put back once.
      if [ "$resumed" = 0 ]; then
        say "node $host is $state; resuming it"
        scontrol update NodeName="$host" State=RESUME || true
        resumed=1
      fi
      ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    reason=$(sinfo -h -n "$host" -o '%E' 2>/dev/null | head -n 1 || true)
    die "node $host is '${state:-not listed}' after ${wait_s} s, not idle${reason:+ (reason: $reason)}"
  fi
  sleep 1
done
say "node $host is $state in partition $partition ($cpus CPUs, ${real_mb} MB); took $(($(date +%s) - started_at)) s"
