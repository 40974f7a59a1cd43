/**
 * Running a client that trusts only the system CA bundle (uacme 1.7.4 has no
 * CA option: libcurl-gnutls reads /etc/ssl/certs/ca-certificates.crt) as if
 * the operator had installed the test root there — without touching the
 * host: the client runs in a private mount namespace (util-linux `unshare`,
 * inside an unprivileged user namespace when the test is not root) where
 * the bundle path is bind-mounted over by a file holding only the root.
 */

/** The system CA bundle of Debian and Ubuntu (ca-certificates). */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * The command and arguments that run `command args` with `bundlePath`
 * in place of the system CA bundle, for {@link runClient}.
 */
export function withSystemTrust(bundlePath: string, command: string, args: readonly string[]): [string, string[]] {
  const script = `mount --bind "$1" ${SYSTEM_CA_BUNDLE} || { echo "cannot bind-mount the test root over ${SYSTEM_CA_BUNDLE} (unprivileged user namespaces disabled?)" >&2; exit 125; }; shift; exec "$@"`;
  return ['unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script, 'with-system-trust', bundlePath, command, ...args]];
}
