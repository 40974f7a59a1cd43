// Child process for crash.test.ts: issues one certificate against a SQLite
// store and kills itself with SIGKILL right after the named pipeline step, as
// a power cut or OOM kill would. Runs the built package (dist/), like a
// deployment does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  IssuerSet,
  buildCsr,
  createIssuanceEngine,
  cryptoRandom,
  defaultProfiles,
  generateSoftwareSigner,
  importIssuer,
  systemClock,
} from '@certwright/core';
import { openSqlStore } from '@certwright/core/sql';

const [dbFile, caDir, crashAfter, name] = process.argv.slice(2);
const issuer = importIssuer({
  chainPem: readFileSync(join(caDir, 'chain.pem'), 'utf8'),
  keyPem: readFileSync(join(caDir, 'key.pem'), 'utf8'),
});
const store = await openSqlStore({ url: `sqlite:${dbFile}` });
const engine = createIssuanceEngine({
  store,
  issuers: new IssuerSet([issuer]),
  profiles: defaultProfiles(),
  clock: systemClock(),
  random: cryptoRandom(),
  onStep: (step) => {
    if (step === crashAfter) process.kill(process.pid, 'SIGKILL');
  },
});
const signer = await generateSoftwareSigner('P-256');
const identifiers = [{ type: 'dns', value: name }];
const csrDer = await buildCsr({ signer, identifiers });
await engine.issue(await engine.prepare({ csrDer, identifiers, orderId: 'order-' + name }));
// Reaching this line means no step matched: report it so the test fails clearly.
process.stdout.write('finished without crashing\n');
await store.close();
