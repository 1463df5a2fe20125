#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for Attestd: system packages (strongSwan for interop, swtpm and tpm2-tools,
# PostgreSQL, network tools, openssl, python3/make/g++ for the native TUN addon) when run as root, then the npm
# dependencies (Node 24 comes in as a devDependency).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  strongswan-charon strongswan-swanctl strongswan-pki libcharon-extra-plugins libstrongswan-extra-plugins
  libstrongswan-standard-plugins
  swtpm swtpm-tools tpm2-tools
  postgresql
  iproute2 iputils-ping tcpdump tshark iperf3 procps psmisc openssl
  python3 make g++
)

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # charon is started by the tests in their own namespaces, never as a system service.
  if command -v systemctl >/dev/null && systemctl is-active --quiet strongswan-starter 2>/dev/null; then
    systemctl stop strongswan-starter || true
  fi
else
  echo "setup: not root (or no apt-get): skipping system packages; tests that need them will skip and say why"
fi

if [[ ! -x node_modules/.bin/node ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
