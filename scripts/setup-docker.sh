#!/usr/bin/env bash
# Installs and starts a Docker engine on this machine if none answers, plus the
# Debian tools Berth builds its images with (debootstrap, busybox-static).
# Idempotent: does nothing that is already done.
set -euo pipefail

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

socket=/var/run/docker.sock
# Docker's default address pools hold about 31 bridge networks; Berth makes one per owner and one per
# E2B sandbox, so the engine this script starts gets room for 4096 (/24s of 10.192.0.0/12, clear of
# the 172.16/12 and 192.168/16 ranges hosts often use). An engine someone else manages is left alone.
POOL=(--default-address-pool base=10.192.0.0/12,size=24)
ours=$(pgrep -x dockerd -a 2>/dev/null | awk '$2 == "dockerd" && NF == 2 {print $1}' || true)
if [ -n "$ours" ]; then
  echo "restarting dockerd (pid $ours) with a larger address pool"
  kill "$ours"
  for _ in $(seq 1 60); do kill -0 "$ours" 2>/dev/null || break; sleep 1; done
fi
if ! curl -sf --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1; then
  echo "starting dockerd"
  nohup dockerd "${POOL[@]}" >/var/log/berth-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    curl -sf --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1 && break
    sleep 1
  done
fi
curl -sf --unix-socket "$socket" http://localhost/_ping >/dev/null || { echo "dockerd did not start; see /var/log/berth-dockerd.log" >&2; exit 1; }
echo "docker engine: $(curl -s --unix-socket "$socket" http://localhost/version | sed -E 's/.*"Version":"([^"]+)".*/\1/')"
