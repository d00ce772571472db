#!/bin/bash
# The agent's fence watchdog (docs/ha.md, "The watchdog"): fences this node when the agent stops renewing its
# lease in time, frozen (SIGSTOP, a stuck JVM) or dead, without needing the agent's process to run.
# Usage: fence-watchdog.sh <data-dir> <vip-cidr> <vip-device> [command prefix for ip...]
# Commands on stdin, one a line:
#   arm <ms>      the lease ends <ms> from now, counted on this process's clock when the line is read
#   disarm <n>    nothing to guard (not primary); answered "disarmed <n>" once no fence of this watchdog runs
# Answers on stdout: "ready", "fired <why> <ms the fence took> <postmaster pid or ->", "disarmed <n>".
# At the deadline: the VIP is deleted, then the postmaster of <data-dir> is stopped, its children SIGKILLed, then
# the postmaster SIGKILLed. K3s is left to the agent. At EOF (the agent is gone) while armed: fences at the
# deadline and exits; at EOF while disarmed: exits.
set -u
data=$1 vip=$2 dev=$3
shift 3
ipcmd=("$@" ip)
data_real=$(readlink -m "$data")
trap '' PIPE # the agent may be gone: a failed answer must not kill the fence

now=0
clock() { # now: centiseconds since boot (/proc/uptime: never goes back, no fork)
  local up rest
  read -r up rest < /proc/uptime
  up=${up/./}
  now=$((10#$up))
}

ours() { # pid: a postgres of this data directory (named postgres, working in the data directory); no fork
  local comm
  read -r comm 2> /dev/null < "/proc/$1/comm" || return 1
  [ "$comm" = postgres ] && [ "/proc/$1/cwd" -ef "$data_real" ]
}

running() { # pid: alive and not a zombie
  local stat
  read -r stat 2> /dev/null < "/proc/$1/stat" || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ] && [ "${stat%% *}" != X ]
}

fence() { # why
  local start pm="" kid round
  clock
  start=$now
  "${ipcmd[@]}" addr del "$vip" dev "$dev" > /dev/null 2>&1 # not held: nothing to do
  read -r pm 2> /dev/null < "$data/postmaster.pid" || pm=""
  if [[ $pm =~ ^[0-9]+$ ]] && ours "$pm"; then
    kill -STOP "$pm" 2> /dev/null # no new backend from now on
    for round in 1 2; do # a fork under way when SIGSTOP came shows up in the second look
      for kid in $(pgrep -P "$pm"); do
        ours "$kid" && kill -KILL "$kid" 2> /dev/null
      done
    done
    kill -KILL "$pm" 2> /dev/null
    for ((round = 0; round < 500; round++)); do
      running "$pm" || break
      sleep 0.01
    done
  else
    pm=-
  fi
  clock
  echo "fired $1 $(((now - start) * 10)) $pm"
}

deadline="" # centiseconds on clock's scale; empty: disarmed
cmd="" arg=""
echo ready
while :; do
  if [ -z "$deadline" ]; then
    read -r cmd arg || exit 0 # the agent is gone and this node was not primary: nothing to guard
  else
    clock
    left=$((deadline - now))
    if [ "$left" -le 0 ]; then
      if ! read -r -t 0; then # nothing waits in the pipe: no renewal came
        fence lease-lapsed
        deadline=""
        continue
      fi
      read -r cmd arg || { fence agent-gone; exit 0; }
    else
      printf -v wait '%d.%02d' $((left / 100)) $((left % 100))
      read -r -t "$wait" cmd arg
      status=$?
      [ "$status" -le 128 ] || continue # timed out: look at the clock again
      if [ "$status" -ne 0 ]; then      # EOF: no renewal will come, fence at the deadline
        while clock && [ "$now" -lt "$deadline" ]; do
          left=$((deadline - now))
          sleep "$((left / 100)).$(printf '%02d' $((left % 100)))"
        done
        fence agent-gone
        exit 0
      fi
    fi
  fi
  case $cmd in
    arm)
      if [[ $arg =~ ^[0-9]+$ ]]; then
        clock
        deadline=$((now + arg / 10)) # rounded down: never later than the agent's own deadline plus the pipe
      fi
      ;;
    disarm)
      deadline=""
      echo "disarmed $arg"
      ;;
    *) echo "fence-watchdog: unknown command '$cmd'" >&2 ;;
  esac
done
