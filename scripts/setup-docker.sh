#!/usr/bin/env bash
# Installs and starts a Docker engine on this machine if none answers, plus the
# Debian tools Berth builds its images with (debootstrap, busybox-static), and
# gVisor (runsc) registered with the engine for `sandboxed` environments.
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

# gVisor: bookworm's own runsc (2022) fails coreutils' statx (`ls` answers "Invalid argument"), so
# one from 2024 or later: the release's own where it is that new (trixie), else its backports, from
# the same Debian mirror this machine's apt already uses.
runsc_version() { runsc --version 2>/dev/null | sed -nE '1s/.*[~-]([0-9]{8}).*/\1/p'; }
if [ "$(runsc_version || true)" \< 20240101 ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  candidate=$(apt-cache policy runsc 2>/dev/null | sed -nE 's/.*Candidate: .*~([0-9]{8}).*/\1/p')
  target=()
  if [ "${candidate:-0}" \< 20240101 ] && [ -n "$codename" ]; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 !~ /security|updates/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    if [ -n "$mirror" ]; then
      printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" "$codename" >/etc/apt/sources.list.d/berth-backports.sources
      apt-get update -qq
      target=(-t "$codename-backports")
    fi
  fi
  echo "installing gVisor (runsc${target:+ from $codename-backports})"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${target[@]}" runsc >/dev/null
fi

# Registered as `runsc` in daemon.json, whatever else that file says (kept as it is): the container's
# own network namespace with gVisor using it directly (its own netstack refuses to run here), the
# root filesystem written through to the host (so files Berth copies in and out, and what a sandbox
# writes outside /workspace, are the same on both sides and survive a restart), shared file access
# (Berth writes into running sandboxes through the engine).
daemon_json=/etc/docker/daemon.json
mkdir -p /etc/docker
changed=$(node - "$daemon_json" "$(command -v runsc)" <<'JS'
const fs = require('node:fs');
const [file, runsc] = process.argv.slice(2);
const config = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8') || '{}') : {};
const wanted = { path: runsc, runtimeArgs: ['--platform=systrap', '--network=host', '--overlay2=none', '--file-access=shared'] };
if (JSON.stringify(config.runtimes?.runsc) === JSON.stringify(wanted)) process.stdout.write('no');
else {
  config.runtimes = { ...config.runtimes, runsc: wanted };
  fs.writeFileSync(file + '.berth-new', JSON.stringify(config, null, 2) + '\n');
  fs.renameSync(file + '.berth-new', file);
  process.stdout.write('yes');
}
JS
)

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
# A running engine reads daemon.json's runtimes again on SIGHUP: no restart, nothing it runs stops.
if [ "$changed" = yes ] && [ -n "$(pgrep -x dockerd || true)" ]; then
  echo "registering gVisor (runsc) with the engine"
  pkill -HUP -x dockerd
  for _ in $(seq 1 30); do
    curl -s --unix-socket "$socket" http://localhost/info | grep -q '"runsc"' && break
    sleep 1
  done
fi
curl -s --unix-socket "$socket" http://localhost/info | grep -q '"runsc"' || { echo "the engine did not take gVisor (runsc) from $daemon_json" >&2; exit 1; }
echo "docker engine: $(curl -s --unix-socket "$socket" http://localhost/version | sed -E 's/.*"Version":"([^"]+)".*/\1/')"
