/**
 * Writing CRLs to a directory for a static web server or CDN:
 * `<dir>/<issuerId>/<shard>.crl` (DER, as `application/pkix-crl` is served,
 * RFC 5280 §4.2.1.13) and `<dir>/<issuerId>/<shard>.pem` (PEM label
 * `X509 CRL`, RFC 7468 §6). Each file is replaced atomically (temporary
 * file, fsync, rename), so readers never see a partial CRL.
 */
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { toPem } from '@certwright/core';

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/** Paths written by {@link writeCrlFiles}. */
export interface CrlFilePaths {
  der: string;
  pem: string;
}

/** Writes one CRL as DER and PEM under `dir`; returns the two paths. */
export async function writeCrlFiles(dir: string, issuerId: string, shard: number, crlDer: Uint8Array): Promise<CrlFilePaths> {
  const issuerDir = join(dir, issuerId);
  await mkdir(issuerDir, { recursive: true });
  const paths = { der: join(issuerDir, `${shard}.crl`), pem: join(issuerDir, `${shard}.pem`) };
  await writeAtomically(paths.der, crlDer);
  await writeAtomically(paths.pem, toPem(crlDer, 'X509 CRL'));
  return paths;
}
