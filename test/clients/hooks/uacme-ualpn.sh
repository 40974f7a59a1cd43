#!/bin/sh
# uacme challenge hook (see uacme(1), -h) for tls-alpn-01 through ualpn(1):
# called as
#   uacme-ualpn.sh METHOD TYPE IDENT TOKEN AUTH
# It accepts only tls-alpn-01: on "begin" it hands AUTH (the digest of the
# key authorization) for IDENT to the running ualpn server listening on the
# CA's tls-alpn-01 port, through its control socket $UALPN_SOCK; on "done"
# or "failed" it withdraws it. Any other challenge type is declined (exit 1).
# ualpn's client mode prints OK or ERR <reason>; its exit status is not
# reliable (non-zero after OK), so only the answer is read.
set -u
: "${UALPN_SOCK:?UALPN_SOCK must name the control socket of the running ualpn server}"
method=$1 type=$2 ident=$3 auth=$5
case "$method" in
  begin)
    [ "$type" = tls-alpn-01 ] || exit 1
    out=$(printf 'auth %s %s\n' "$ident" "$auth" | ualpn -s "$UALPN_SOCK" 2>&1)
    ;;
  done | failed) out=$(printf 'unauth %s\n' "$ident" | ualpn -s "$UALPN_SOCK" 2>&1) ;;
  *) echo "uacme-ualpn.sh: unknown method '$method'" >&2; exit 2 ;;
esac
[ "$out" = OK ] || { echo "uacme-ualpn.sh: ualpn answered: $out" >&2; exit 1; }
