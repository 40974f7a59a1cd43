/**
 * pebble-challtestsrv as the DNS server of the CA under test: only its DNS
 * server and management API run (on free loopback ports), with no default
 * A/AAAA answers, so a name resolves only when a test adds its record.
 */
import { spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { freePort } from './processes.js';

/** A running pebble-challtestsrv. */
export interface TestDns {
  /** `127.0.0.1:<port>` of its DNS server (UDP and TCP). */
  readonly server: string;
  /** The DNS port alone. */
  readonly port: number;
  /** Base URL of the management API, e.g. `http://127.0.0.1:40123`. */
  readonly managementUrl: string;
  /** Makes `host` resolve (A) to `addresses`. */
  addA(host: string, addresses: readonly string[]): Promise<void>;
  /** Publishes CAA records (RFC 8659) at `host`, e.g. `[{ tag: 'issue', value: 'ca.example' }]`. */
  addCaa(host: string, policies: readonly { tag: string; value: string }[]): Promise<void>;
  /** Stops the server. */
  stop(): Promise<void>;
}

const fqdn = (host: string): string => (host.endsWith('.') ? host : `${host}.`);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts pebble-challtestsrv and waits until both its management API and its DNS server answer. */
export async function startTestDns(): Promise<TestDns> {
  const port = await freePort();
  const managementPort = await freePort();
  const child = spawn(
    'pebble-challtestsrv',
    ['-dns01', `127.0.0.1:${port}`, '-management', `127.0.0.1:${managementPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv4', '', '-defaultIPv6', ''],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let failure: Error | undefined;
  child.once('error', (err) => (failure = new Error(`pebble-challtestsrv could not be started (Debian package "pebble"): ${err.message}`)));
  child.once('exit', (code) => (failure ??= new Error(`pebble-challtestsrv exited with code ${String(code)}: ${output}`)));
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });

  const managementUrl = `http://127.0.0.1:${managementPort}`;
  const probe = new Resolver({ timeout: 200, tries: 1 });
  probe.setServers([`127.0.0.1:${port}`]);
  const ready = async (): Promise<boolean> => {
    const api = await fetch(`${managementUrl}/`).then(
      async (res) => (await res.arrayBuffer(), true),
      () => false,
    );
    if (!api) return false;
    return probe.resolveTxt('ready.certwright.test').then(
      () => true,
      (err: { code?: string }) => err.code === 'ENODATA' || err.code === 'ENOTFOUND',
    );
  };
  for (let attempt = 0; !(await ready()); attempt++) {
    if (failure !== undefined) throw failure;
    if (attempt >= 100) {
      await stop();
      throw new Error(`pebble-challtestsrv did not answer on 127.0.0.1:${port} / ${managementUrl} within 10 s: ${output}`);
    }
    await pause(100);
  }
  const manage = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${managementUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`pebble-challtestsrv ${path} ${JSON.stringify(body)}: HTTP ${res.status}`);
  };
  return {
    server: `127.0.0.1:${port}`,
    port,
    managementUrl,
    addA: (host, addresses) => manage('/add-a', { host: fqdn(host), addresses }),
    addCaa: (host, policies) => manage('/add-caa', { host: fqdn(host), policies }),
    stop,
  };
}
