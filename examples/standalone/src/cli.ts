#!/usr/bin/env node
/**
 * The `certwright` command line: `init`, `serve`, `migrate`, `eab create`,
 * `revoke`, `status`, `issuer add`, `issuer retire`, `crl publish`. Exit codes: 0 success, 1 failure, 2 usage error.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { cryptoRandom, jsonLineLogger, systemClock, type CertKeyType, type Clock, type Logger } from '@certwright/core';
import { ConfigError, loadConfig, type StandaloneConfig } from './config.js';
import { createMetrics, type CaMetrics } from './metrics.js';
import { ISSUER_KEY_TYPES, runCrlPublish, runEabCreate, runInit, runIssuerAdd, runIssuerRetire, runMigrate, runRevoke, runStatus, type CommandIo } from './commands.js';
import { bufferedLines } from './line-buffer.js';

/** The help text, printed by `certwright help` and after a usage error. */
export const USAGE = `usage: certwright <command> [options]

commands:
  init                              create the root and issuing CA in the data directory (refuses if one exists)
  serve                             run the ACME server and the status listener (what \`pnpm start\` runs)
  migrate                           migrate the configured database to the latest schema
  eab create [--label LABEL]        create an External Account Binding key (printed once)
  revoke <serial> [--reason REASON] revoke a certificate (reason: an RFC 5280 name such as keyCompromise, or its code)
  status                            show the CA certificates, certificate counts and schema version
  issuer add [--key-type TYPE]      key rollover: a new issuing CA becomes active, the one it replaces is retired
                                    (TYPE: P-256, P-384, RSA-2048, RSA-3072, RSA-4096; default ca.keyType)
  issuer retire <id>                stop an issuing CA from issuing (it keeps signing OCSP and CRLs)
  crl publish                       generate every CRL now into <data dir>/crls/ (only while no server runs)
  help                              show this text

Configuration comes from CERTWRIGHT_* variables and <data dir>/certwright.json (see docs/configuration.md).`;

/** A command line that does not parse; exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface Parsed {
  positional: string[];
  options: Record<string, string>;
}

/** Splits arguments into positionals and `--name value` / `--name=value` options, refusing options not in `allowed`. */
export function parseArgs(args: readonly string[], allowed: readonly string[]): Parsed {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!allowed.includes(name)) throw new UsageError(`unknown option --${name}${allowed.length ? ` (known: ${allowed.map((a) => `--${a}`).join(', ')})` : ''}`);
    const value = eq < 0 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new UsageError(`option --${name} needs a value`);
    options[name] = value;
  }
  return { positional, options };
}

/** Checks the number of arguments after the command (and after its subcommand, with `skip` 1). */
function expectPositionals(parsed: Parsed, count: number, command: string, skip = 0): void {
  const got = parsed.positional.length - skip;
  if (got !== count) throw new UsageError(`${command} takes ${count === 0 ? 'no arguments' : `${count} argument${count > 1 ? 's' : ''}`}, got ${got}`);
}

/**
 * Runs `serve` until SIGTERM or SIGINT; resolves with the exit code. The
 * signal handlers are in place before start-up, so a signal that arrives
 * while starting stops the server as soon as it is up.
 */
async function serve(config: StandaloneConfig, io: CommandIo, logger: Logger, metrics: CaMetrics, clock: Clock): Promise<number> {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let running;
  try {
    // Imported here: the server's dependencies (Fastify, the ACME engine) are not loaded for admin commands.
    const { startServer } = await import('./serve.js');
    running = await startServer({ config, clock, random: cryptoRandom(), logger, metrics, out: io.out });
  } catch (err) {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    throw err;
  }
  const signal = await signalled;
  io.out(`${signal} received: stopping (no new requests; waiting for validations and issuances in progress)`);
  await running.stop();
  io.out('stopped cleanly');
  return 0;
}

/** Runs one command line; resolves with the exit code (never rejects). */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const logLines = bufferedLines((text) => process.stdout.write(text));
  const flushOnExit = (): void => logLines.flush();
  process.on('exit', flushOnExit);
  const io: CommandIo = {
    out: (line) => {
      logLines.flush();
      process.stdout.write(line + '\n');
    },
    err: (line) => {
      logLines.flush();
      process.stderr.write(line + '\n');
    },
  };
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      if (command === undefined) throw new UsageError('no command given');
      io.out(USAGE);
      return 0;
    }
    const clock = systemClock();
    const logger = jsonLineLogger({ now: () => clock.now(), write: (line) => logLines.write(line) });
    switch (command) {
      case 'init': {
        expectPositionals(parseArgs(rest, []), 0, 'init');
        return await runInit(loadConfig(env, cwd), io, clock);
      }
      case 'serve': {
        expectPositionals(parseArgs(rest, []), 0, 'serve');
        const metrics = createMetrics();
        return await serve(loadConfig(env, cwd), io, tapMetrics(logger, metrics), metrics, clock);
      }
      case 'migrate': {
        expectPositionals(parseArgs(rest, []), 0, 'migrate');
        return await runMigrate(loadConfig(env, cwd), io);
      }
      case 'eab': {
        const parsed = parseArgs(rest, ['label']);
        if (parsed.positional[0] !== 'create') throw new UsageError('eab needs a subcommand: eab create [--label LABEL]');
        expectPositionals(parsed, 0, 'eab create', 1);
        return await runEabCreate(loadConfig(env, cwd), io, clock, parsed.options['label']);
      }
      case 'revoke': {
        const parsed = parseArgs(rest, ['reason']);
        expectPositionals(parsed, 1, 'revoke <serial>');
        return await runRevoke(loadConfig(env, cwd), io, clock, parsed.positional[0]!, parsed.options['reason'] ?? 'unspecified');
      }
      case 'status': {
        expectPositionals(parseArgs(rest, []), 0, 'status');
        return await runStatus(loadConfig(env, cwd), io, clock);
      }
      case 'issuer': {
        const parsed = parseArgs(rest, ['key-type']);
        const [sub] = parsed.positional;
        if (sub === 'add') {
          expectPositionals(parsed, 0, 'issuer add', 1);
          const config = loadConfig(env, cwd);
          const keyType = parsed.options['key-type'] ?? config.ca.keyType;
          if (!ISSUER_KEY_TYPES.includes(keyType as CertKeyType)) throw new UsageError(`--key-type must be one of ${ISSUER_KEY_TYPES.join(', ')}`);
          return await runIssuerAdd(config, io, clock, keyType as CertKeyType);
        }
        if (sub === 'retire') {
          if (parsed.options['key-type'] !== undefined) throw new UsageError('issuer retire takes no --key-type');
          expectPositionals(parsed, 1, 'issuer retire <id>', 1);
          return await runIssuerRetire(loadConfig(env, cwd), io, clock, parsed.positional[1]!);
        }
        throw new UsageError('issuer needs a subcommand: issuer add [--key-type TYPE] | issuer retire <id>');
      }
      case 'crl': {
        const parsed = parseArgs(rest, []);
        if (parsed.positional[0] !== 'publish') throw new UsageError('crl needs a subcommand: crl publish');
        expectPositionals(parsed, 0, 'crl publish', 1);
        return await runCrlPublish(loadConfig(env, cwd), io, clock);
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`certwright: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(err instanceof ConfigError ? err.message : `certwright: ${(err as Error).message}`);
    return 1;
  } finally {
    logLines.flush();
    process.off('exit', flushOnExit);
  }
}

/** The logger, also counting issuances and validations from the engines' events. */
export function tapMetrics(logger: Logger, metrics: CaMetrics): Logger {
  return (event) => {
    if (event.event === 'certificate.issued') metrics.issuances.inc({ profile: String(event['profile']) });
    else if (event.event === 'acme.challenge.valid' || event.event === 'acme.challenge.invalid') {
      metrics.validations.inc({ type: String(event['type']), result: event.event === 'acme.challenge.valid' ? 'valid' : 'invalid' });
    }
    logger(event);
  };
}

/** Whether this module is the program being run (directly or through the `certwright` bin link). */
function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  runCli(process.argv.slice(2), process.env, process.cwd()).then((code) => process.exit(code));
}
