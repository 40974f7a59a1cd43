/*
 * Helpers of the standalone CA's tests: run the built CLI (dist/cli.js, as
 * `pnpm start` and the `certwright` bin do), wait for the server's
 * "listening" lines, stop it with a signal.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** A free loopback TCP port (bound, read and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs one CLI command to completion. */
export function cli(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A server process started by {@link startServe}. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** The directory URL and root path printed at start. */
  readonly directoryUrl: string;
  readonly rootPath: string;
  readonly fingerprint: string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `node <script> [serve]` and resolves once both "listening" lines
 * are printed; rejects with the output when the process exits first.
 */
export function startServe(env: NodeJS.ProcessEnv, script: 'cli' | 'main' = 'cli'): Promise<ServeProcess> {
  const args = script === 'cli' ? [CLI, 'serve'] : [MAIN];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise<ServeProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 45 s\n${out}\n${err}`));
    }, 45_000);
    const check = (): void => {
      const directory = /ACME directory listening on (\S+)/.exec(out)?.[1];
      const rootPath = /Clients must trust the root: (\S+)\n/.exec(out)?.[1];
      if (directory === undefined || rootPath === undefined || !/OCSP, CRLs and metrics listening on/.test(out)) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({
        child,
        stdout: () => out,
        stderr: () => err,
        directoryUrl: directory,
        rootPath,
        fingerprint: /root SHA-256:\s+([0-9A-F:]+)/.exec(out)![1]!,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening\n${out}\n${err}`));
    });
  });
}

/** A server's environment from {@link loopbackServeEnv}, with the status listener's base URL. */
export interface LoopbackServe {
  readonly env: NodeJS.ProcessEnv;
  readonly statusUrl: string;
}

/**
 * The environment of `serve` on two free loopback ports, validating http-01
 * against a responder on `http01Port` (private networks allowed) for IP
 * identifiers (RFC 8738) in `ipRange`, with no DNS server involved.
 */
export async function loopbackServeEnv(dataDir: string, http01Port: number, ipRange: string): Promise<LoopbackServe> {
  const [acmePort, statusPort] = [await freePort(), await freePort()];
  return {
    statusUrl: `http://127.0.0.1:${statusPort}`,
    env: {
      CERTWRIGHT_DATA_DIR: dataDir,
      CERTWRIGHT_LISTEN: `127.0.0.1:${acmePort}`,
      CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      CERTWRIGHT_HTTP01_PORT: String(http01Port),
      CERTWRIGHT_ALLOW_PRIVATE_NETWORKS: 'true',
      CERTWRIGHT_ALLOWED_IP_RANGES: ipRange,
      CERTWRIGHT_DNS_RESOLVER: '127.0.0.1:53',
    },
  };
}
