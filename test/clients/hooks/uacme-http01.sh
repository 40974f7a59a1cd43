#!/bin/sh
# uacme challenge hook (see uacme(1), -h): called as
#   uacme-http01.sh METHOD TYPE IDENT TOKEN AUTH
# It accepts only http-01: on "begin" it writes the key authorization to
# $UACME_WEBROOT/.well-known/acme-challenge/TOKEN (served over HTTP on the
# CA's http-01 port), on "done" or "failed" it removes the file. Any other
# challenge type is declined (exit 1), so uacme moves on to the next one.
set -eu
: "${UACME_WEBROOT:?UACME_WEBROOT must name the directory served on the http-01 port}"
method=$1 type=$2 token=$4 auth=$5
dir="$UACME_WEBROOT/.well-known/acme-challenge"
case "$method" in
  begin)
    [ "$type" = http-01 ] || exit 1
    mkdir -p "$dir"
    printf '%s' "$auth" > "$dir/$token"
    ;;
  done | failed) rm -f "$dir/$token" ;;
  *) echo "uacme-http01.sh: unknown method '$method'" >&2; exit 2 ;;
esac
