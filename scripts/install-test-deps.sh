#!/usr/bin/env bash
# Installs the Debian packages certwright's tests drive for real: OpenSSL (to
# verify what we issue), SoftHSM2 + OpenSC (PKCS#11), pebble (its
# pebble-challtestsrv is the DNS server of the validation tests) and the ACME
# clients certbot, lego, uacme and dehydrated, and nginx (the load balancer of
# the two-node test). Used by .ci/run and by the
# README's test command; the single list of what the tests need.
set -euo pipefail
PACKAGES=(openssl ca-certificates softhsm2 opensc pebble certbot lego uacme dehydrated nginx)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies: all installed (${PACKAGES[*]})"
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install as root: apt-get install ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
echo "test dependencies: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq "${missing[@]}"
