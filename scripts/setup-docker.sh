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
if ! curl -sf --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1; then
  echo "starting dockerd"
  nohup dockerd >/var/log/berth-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    curl -sf --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1 && break
    sleep 1
  done
fi
curl -sf --unix-socket "$socket" http://localhost/_ping >/dev/null || { echo "dockerd did not start; see /var/log/berth-dockerd.log" >&2; exit 1; }
echo "docker engine: $(curl -s --unix-socket "$socket" http://localhost/version | sed -E 's/.*"Version":"([^"]+)".*/\1/')"
