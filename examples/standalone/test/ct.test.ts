import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPem } from '@certwright/core';
import { startTestLog, type TestLog } from '@certwright/ct/testing';
import { cli, freePort, startServe } from './processes.js';

/*
 * Certificate Transparency with CERTWRIGHT_CT_LOGS: two in-process RFC 6962
 * logs of distinct operators, two SCTs required. The server's own TLS
 * certificate, issued at start-up, already goes through the logs.
 */
describe('certwright serve with a CT log list', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-ct-'));
  const logs: TestLog[] = [];

  beforeAll(async () => {
    logs.push(await startTestLog({ operator: 'Operator A', name: 'log-a' }), await startTestLog({ operator: 'Operator B', name: 'log-b' }));
  });
  afterAll(async () => {
    await Promise.all(logs.map((log) => log.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const logList = (required: number, publicKey = (log: TestLog): string => log.publicKeyPem) =>
    JSON.stringify({ required, logs: logs.map((log) => ({ url: log.url, publicKey: publicKey(log), operator: log.operator, name: log.name })) });

  function peerCertificatePem(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        const der = socket.getPeerCertificate().raw;
        socket.end();
        resolve(toPem(new Uint8Array(der), 'CERTIFICATE'));
      });
      socket.on('error', reject);
    });
  }

  it('embeds SCTs from both logs in issued certificates', async () => {
    writeFileSync(join(dir, 'ct.json'), logList(2));
    const acmePort = await freePort();
    const env = { CERTWRIGHT_DATA_DIR: join(dir, 'data'), CERTWRIGHT_CT_LOGS: join(dir, 'ct.json'), CERTWRIGHT_LISTEN: `127.0.0.1:${acmePort}`, CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${await freePort()}` };
    const server = await startServe(env);
    try {
      expect(server.stdout()).toContain('certificate transparency: 2 logs, 2 SCTs required');
      const text = spawnSync('openssl', ['x509', '-noout', '-text'], { input: await peerCertificatePem(acmePort), encoding: 'utf8' }).stdout;
      expect(text).toContain('CT Precertificate SCTs');
      for (const log of logs) {
        expect(text.replace(/[\s:]/g, '')).toContain(Buffer.from(log.logId).toString('hex').toUpperCase());
        expect(log.entries.some((e) => e.type === 'precert')).toBe(true);
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses a log list whose key is unusable, naming the setting', () => {
    writeFileSync(join(dir, 'bad.json'), logList(1, () => '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'));
    const run = cli(['serve'], { CERTWRIGHT_DATA_DIR: join(dir, 'data'), CERTWRIGHT_CT_LOGS: join(dir, 'bad.json') });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`configuration: CERTWRIGHT_CT_LOGS: ${join(dir, 'bad.json')}: CT log "log-a"`);
  });
});
