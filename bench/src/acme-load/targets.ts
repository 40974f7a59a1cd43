/**
 * The servers the issuance benchmark compares, started by the harness and
 * stopped afterwards: the certwright standalone CA (`dist/cli.js serve`) on
 * SQLite or PostgreSQL, and Pebble (`/usr/bin/pebble`, Let's Encrypt's test
 * server). Each gets free loopback ports and validates http-01 against the
 * load generator's challenge server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** A started server. */
export interface Target {
  /** Display name, e.g. `certwright (SQLite)`. */
  name: string;
  directoryUrl: string;
  /** PEM the client trusts for the ACME API's TLS. */
  tlsCaPem: string;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes what it created. */
  stop(): Promise<void>;
}

/** A free loopback TCP port (bound, read and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * Spawns `cmd`, resolves once `ready` matches its stdout (or stderr); rejects
 * with the output if it exits first. Everything it prints is also appended to
 * `logPath`.
 */
function spawnUntil(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs: number, logPath: string): Promise<{ child: ChildProcess; output: () => string; exited: Promise<void> }> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logPath, { flags: 'a' });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let out = '';
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not start within ${timeoutMs / 1000} s\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      if (out.length > 100_000) return;
      out += d.toString('utf8');
      if (ready.test(out)) {
        clearTimeout(timer);
        resolvePromise({ child, output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited before it was ready\n${out}`));
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Options of {@link startCertwright}. */
export interface CertwrightOptions {
  name: string;
  dataDir: string;
  challengePort: number;
  /** Unset: SQLite in the data directory (WAL, synced before answering: the default). */
  databaseUrl?: string;
  /** Directory for a V8 CPU profile of the server (`--cpu-prof`), written when it stops. */
  cpuProfDir?: string;
}

/** Starts `certwright serve` from examples/standalone/dist. */
export async function startCertwright(options: CertwrightOptions): Promise<Target> {
  const [acmePort, statusPort] = [await freePort(), await freePort()];
  mkdirSync(options.dataDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    CERTWRIGHT_DATA_DIR: options.dataDir,
    CERTWRIGHT_LISTEN: `127.0.0.1:${acmePort}`,
    CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    CERTWRIGHT_HTTP01_PORT: String(options.challengePort),
    CERTWRIGHT_ALLOW_PRIVATE_NETWORKS: 'true',
    CERTWRIGHT_ALLOWED_IP_RANGES: '127.0.0.0/8',
    CERTWRIGHT_DNS_RESOLVER: '127.0.0.1:53',
    ...(options.databaseUrl === undefined ? {} : { CERTWRIGHT_DATABASE_URL: options.databaseUrl }),
  };
  const flags = options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`];
  const cli = resolve('examples/standalone/dist/cli.js');
  const started = await spawnUntil(process.execPath, [...flags, cli, 'serve'], env, /Clients must trust the root: \S+\n/, 60_000, join(options.dataDir, 'server.log'));
  const out = started.output();
  const directoryUrl = /ACME directory listening on (\S+)/.exec(out)?.[1];
  const rootPath = /Clients must trust the root: (\S+)\n/.exec(out)?.[1];
  if (directoryUrl === undefined || rootPath === undefined) throw new Error(`unexpected output of certwright serve:\n${out}`);
  return {
    name: options.name,
    directoryUrl,
    tlsCaPem: readFileSync(rootPath, 'utf8'),
    pid: started.child.pid!,
    stop: () => stopChild(started.child, started.exited),
  };
}

const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';

function psql(sql: string): { ok: boolean; output: string } {
  const r = spawnSync('psql', [PG_ADMIN_URL, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-c', sql], { encoding: 'utf8', timeout: 15_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

/**
 * Starts certwright on a fresh PostgreSQL database `cw_bench_<random>`
 * (created on the server of {@link PG_ADMIN_URL}, dropped by `stop`).
 * Resolves with the reason instead when PostgreSQL cannot be used.
 */
export async function startCertwrightPostgres(options: Omit<CertwrightOptions, 'databaseUrl'>): Promise<Target | { skipped: string }> {
  const db = `cw_bench_${randomBytes(4).toString('hex')}`;
  const created = psql(`CREATE DATABASE ${db}`);
  if (!created.ok) return { skipped: `PostgreSQL at ${PG_ADMIN_URL} not usable: ${created.output.split('\n')[0]}` };
  try {
    const target = await startCertwright({ ...options, databaseUrl: PG_ADMIN_URL.replace(/\/test$/, `/${db}`) });
    return {
      ...target,
      stop: async () => {
        await target.stop();
        psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      },
    };
  } catch (err) {
    psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    throw err;
  }
}

/** The Pebble binary of the Debian package. */
export const PEBBLE = '/usr/bin/pebble';

/**
 * Starts Pebble with a configuration written here: the ACME API on a free
 * port with a self-signed P-256 certificate for 127.0.0.1 (generated with
 * openssl), http-01 against `challengePort`, no validation sleep
 * (PEBBLE_VA_NOSLEEP), no deliberately rejected nonces
 * (PEBBLE_WFE_NONCEREJECT=0), no authorization reuse (PEBBLE_AUTHZREUSE=0).
 * Resolves with the reason instead when Pebble is not installed.
 */
export async function startPebble(options: { dir: string; challengePort: number }): Promise<Target | { skipped: string }> {
  const version = spawnSync(PEBBLE, ['-h'], { encoding: 'utf8' });
  if (version.error) return { skipped: `${PEBBLE} not runnable: ${version.error.message}` };
  mkdirSync(options.dir, { recursive: true });
  const cert = join(options.dir, 'cert.pem');
  const key = join(options.dir, 'key.pem');
  const openssl = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=pebble bench', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { encoding: 'utf8' },
  );
  if (openssl.status !== 0) throw new Error(`openssl req for Pebble's certificate failed: ${openssl.stderr}`);
  const [port, mgmtPort, tlsPort] = [await freePort(), await freePort(), await freePort()];
  const config = join(options.dir, 'pebble-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: cert,
        privateKey: key,
        httpPort: options.challengePort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const env = { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' };
  const started = await spawnUntil(PEBBLE, ['-config', config, '-strict=false'], env, /ACME directory available at/, 30_000, join(options.dir, 'pebble.log'));
  return {
    name: 'Pebble',
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    tlsCaPem: readFileSync(cert, 'utf8'),
    pid: started.child.pid!,
    stop: () => stopChild(started.child, started.exited),
  };
}
