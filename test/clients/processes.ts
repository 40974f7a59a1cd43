/**
 * Child processes and ports for the real-client tests: free loopback ports
 * picked by the kernel, and a bounded `spawn` whose whole output ends up in
 * the assertion message when a client fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1: the kernel picks it, and it is released before the caller binds it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A fresh, unique temporary directory whose name starts with `certwright-<label>-`. */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `certwright-${label}-`));
}

/** What a finished client run produced. */
export interface ClientRun {
  /** The command line, for messages. */
  readonly command: string;
  /** Exit code, or `null` when a signal (e.g. the timeout's SIGKILL) ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the run was killed after `timeoutMs`. */
  readonly timedOut: boolean;
  /** True when the run was ended because its output matched `stopWhen`. */
  readonly stoppedEarly: boolean;
}

/** Options of {@link runClient}. */
export interface RunOptions {
  /** Variables added to the test process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Kill the client (SIGKILL, whole process group) after this many milliseconds (default 90 s). */
  readonly timeoutMs?: number;
  /**
   * End the client (SIGTERM, whole process group) as soon as its output
   * (stdout or stderr) matches: for failures a client would retry for a
   * while before giving up.
   */
  readonly stopWhen?: RegExp;
}

/** The command line and everything the client printed, for an assertion message. */
export function describeRun(run: ClientRun): string {
  const status = run.timedOut ? 'timed out' : run.stoppedEarly ? 'stopped: its output matched' : `exit code ${String(run.code)}`;
  return `${run.command}\n(${status})\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
}

/**
 * Runs `command args` to completion with a bounded time and returns its
 * output. It never rejects for a non-zero exit: use {@link expectSuccess}.
 */
export function runClient(command: string, args: readonly string[], options: RunOptions = {}): Promise<ClientRun> {
  const line = [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: { ...process.env, ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let stoppedEarly = false;
    const signal = (name: NodeJS.Signals): void => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, name);
    };
    const watch = (): void => {
      if (options.stopWhen === undefined || stoppedEarly || !options.stopWhen.test(`${stdout}\n${stderr}`)) return;
      stoppedEarly = true;
      signal('SIGTERM');
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), watch()));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), watch()));
    const timer = setTimeout(() => {
      timedOut = true;
      signal('SIGKILL');
    }, options.timeoutMs ?? 90_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${line}: could not be started: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ command: line, code, stdout, stderr, timedOut, stoppedEarly });
    });
  });
}

/** Throws with the client's whole output unless it exited with code 0. */
export function expectSuccess(run: ClientRun): ClientRun {
  if (run.code !== 0 || run.timedOut || run.stoppedEarly) throw new Error(`client failed: ${describeRun(run)}`);
  return run;
}
