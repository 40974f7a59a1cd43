/**
 * How the real-client tests start certbot and lego against a
 * {@link ClientTestCa}: the server URL, trust in the CA's root, private
 * config/work directories and (for lego) the exec DNS hook that publishes
 * dns-01 TXT records in the CA's test DNS server.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientTestCa } from './harness.js';
import { TEST_DOMAIN } from './harness.js';
import { runClient } from './processes.js';
import type { ClientRun } from './processes.js';

/** The hook lego's `exec` DNS provider runs (present / cleanup of the TXT record). */
export const LEGO_EXEC_HOOK = fileURLToPath(new URL('./hooks/lego-exec-dns.sh', import.meta.url));

/** Runs certbot with `args` against `ca`, its state under `dir` (config, work, logs). */
export function runCertbot(ca: Pick<ClientTestCa, 'directoryUrl' | 'rootPath'>, dir: string, args: readonly string[]): Promise<ClientRun> {
  return runClient('certbot', [...args, '--server', ca.directoryUrl, '--non-interactive', '--config-dir', join(dir, 'config'), '--work-dir', join(dir, 'work'), '--logs-dir', join(dir, 'logs')], {
    env: { REQUESTS_CA_BUNDLE: ca.rootPath },
    timeoutMs: 90_000,
  });
}

/** certbot's files for a certificate name: `<dir>/config/live/<name>/<file>`. */
export function certbotLive(dir: string, name: string, file: string): string {
  return join(dir, 'config', 'live', name, file);
}

/** The arguments of lego's own http-01 server on the CA's http-01 port. */
export function legoHttpSolver(ca: Pick<ClientTestCa, 'http01Port'>): string[] {
  return ['--http', '--http.port', `127.0.0.1:${ca.http01Port}`];
}

/** The arguments of lego's exec dns-01 provider, its own checks asking the CA's DNS server. */
export function legoDnsSolver(ca: Pick<ClientTestCa, 'dns'>): string[] {
  return ['--dns', 'exec', '--dns.resolvers', ca.dns.server, '--dns.disable-cp'];
}

/**
 * Runs lego against `ca`: `global` are the options before the command
 * (domains, solver, key type, …), `command` the command and its options;
 * its state lives in `dir`.
 */
export function runLego(ca: Pick<ClientTestCa, 'directoryUrl' | 'rootPath' | 'dns'>, dir: string, global: readonly string[], command: readonly string[]): Promise<ClientRun> {
  return runClient('lego', ['--server', ca.directoryUrl, '--accept-tos', '--email', `ops@${TEST_DOMAIN}`, '--path', dir, ...global, ...command], {
    env: {
      LEGO_CA_CERTIFICATES: ca.rootPath,
      EXEC_PATH: LEGO_EXEC_HOOK,
      CHALLTESTSRV_URL: ca.dns.managementUrl,
      // The exec provider solves names one after the other and waits
      // EXEC_SEQUENCE_INTERVAL (default 60 s) in between; the test DNS
      // server answers at once.
      EXEC_SEQUENCE_INTERVAL: '1',
      EXEC_POLLING_INTERVAL: '1',
      EXEC_PROPAGATION_TIMEOUT: '30',
    },
    timeoutMs: 90_000,
  });
}

/** lego's files for a certificate name (`*` becomes `_`): the leaf with its chain and the issuer chain alone. */
export function legoFiles(dir: string, name: string): { certPath: string; chainPath: string; keyPath: string } {
  const base = name.replace('*', '_');
  return { certPath: join(dir, 'certificates', `${base}.crt`), chainPath: join(dir, 'certificates', `${base}.issuer.crt`), keyPath: join(dir, 'certificates', `${base}.key`) };
}

/** `--domains` for each name. */
export function legoDomains(names: readonly string[]): string[] {
  return names.flatMap((n) => ['--domains', n]);
}
