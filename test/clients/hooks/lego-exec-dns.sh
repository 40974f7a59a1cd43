#!/bin/sh
# lego's "exec" DNS provider hook (default mode): lego runs
#   EXEC_PATH present <fqdn> <value>    before asking the CA to validate dns-01
#   EXEC_PATH cleanup <fqdn> <value>    afterwards
# and this script sets or clears the TXT record in pebble-challtestsrv
# through its management API (CHALLTESTSRV_URL, e.g. http://127.0.0.1:8055).
set -eu
: "${CHALLTESTSRV_URL:?CHALLTESTSRV_URL must name the pebble-challtestsrv management API}"
case "${1:-}" in
  present) curl -fsS -X POST -d "{\"host\":\"$2\",\"value\":\"$3\"}" "$CHALLTESTSRV_URL/set-txt" ;;
  cleanup) curl -fsS -X POST -d "{\"host\":\"$2\"}" "$CHALLTESTSRV_URL/clear-txt" ;;
  *) echo "lego-exec-dns.sh: unknown command '${1:-}' (expected present or cleanup)" >&2; exit 2 ;;
esac
