/**
 * PEM (RFC 7468): DER ↔ text with a label such as `CERTIFICATE`,
 * `X509 CRL` or `PRIVATE KEY`.
 */

/** Encodes DER as a PEM block with `label`, 64 base64 characters a line (RFC 7468 §2). */
export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** One decoded PEM block. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/** Decodes every PEM block in `text`, in order; text between blocks is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    if (m[3] !== label) throw new RangeError(`PEM block BEGIN ${label} ends with END ${m[3]}`);
    const body = m[2]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new RangeError(`PEM block ${label} has invalid base64`);
    out.push({ label, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return out;
}

/** Decodes the single PEM block labelled `label` (the first, if several); throws when absent. */
export function fromPem(text: string, label: string): Uint8Array {
  const block = pemBlocks(text).find((b) => b.label === label);
  if (block === undefined) throw new RangeError(`no PEM block labelled ${label}`);
  return block.der;
}
