/**
 * Starts the app: reads the configuration from the environment, opens the
 * CA, listens, and on SIGTERM or SIGINT stops accepting, waits for the work
 * in flight and closes the store and the token sessions, exiting 0.
 * @module
 */
import type { Server } from 'node:http';
import { cryptoRandom, jsonLineLogger, systemClock } from '@certwright/core';
import { openCa } from './ca.js';
import { createApp } from './app.js';
import { readConfig } from './config.js';

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const clock = systemClock();
  // One JSON line per event on stderr (every ACME request at level info).
  const logger = jsonLineLogger({ write: (line) => process.stderr.write(`${line}\n`), now: () => clock.now() });
  const ca = await openCa(config, { clock, random: cryptoRandom(), logger });
  const app = createApp(ca, config.publicUrl);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.listen.port, config.listen.host, (err?: Error) => (err === undefined ? resolve(s) : reject(err)));
  });
  process.stdout.write(`${ca.hierarchy.created ? 'created a new CA' : 'loaded the CA'} (issuing key on PKCS#11 token "${config.hsm.tokenLabel}", key "${config.hsm.keyLabel}")\n`);
  process.stdout.write(`listening on http://${config.listen.host}:${config.listen.port}; ACME directory ${config.publicUrl}/acme/directory\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeIdleConnections();
    ca.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
