/**
 * ualpn (shipped with uacme) as the tls-alpn-01 responder (RFC 8737,
 * RFC 8738 §6) of the real-client tests: a server-mode instance on the
 * CA's tls-alpn-01 port of 127.0.0.1, controlled through its own unix
 * socket, which uacme's hook (hooks/uacme-ualpn.sh) feeds with
 * authorizations. Connections without an authorization are proxied to a
 * backend port nothing listens on.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './processes.js';

/** A running ualpn server. */
export interface UalpnServer {
  /** Its control socket: the hook's UALPN_SOCK. */
  readonly socketPath: string;
  /** Everything it logged so far. */
  output(): string;
  /** Ends the server and its workers (SIGTERM to its process group). */
  stop(): Promise<void>;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `ualpn` on `127.0.0.1:port` with its socket and pid file in `dir`; resolves once the socket exists. */
export async function startUalpn(dir: string, port: number): Promise<UalpnServer> {
  const socketPath = join(dir, 'ualpn.sock');
  const backend = await freePort();
  const child = spawn('ualpn', ['-b', `127.0.0.1@${port}`, '-c', `127.0.0.1@${backend}`, '-s', socketPath, '-p', join(dir, 'ualpn.pid'), '-n', '1', '-P', '0', '-v', '-v'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let failure: Error | undefined;
  child.once('error', (err) => (failure = new Error(`ualpn could not be started (Debian package "uacme"): ${err.message}`)));
  child.once('exit', (code) => (failure ??= new Error(`ualpn exited with code ${String(code)}: ${output}`)));
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
      child.once('exit', () => resolve());
      process.kill(-child.pid, 'SIGTERM');
    });
  for (let attempt = 0; !existsSync(socketPath); attempt++) {
    if (failure !== undefined) throw failure;
    if (attempt >= 100) {
      await stop();
      throw new Error(`ualpn did not create ${socketPath} within 10 s: ${output}`);
    }
    await pause(100);
  }
  return { socketPath, output: () => output, stop };
}
