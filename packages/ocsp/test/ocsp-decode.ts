import { derReader, signatureAlgorithmFromDer, verifySignature } from '@certwright/core';

/** What a test needs to know about a successful OCSP response. */
export interface DecodedOcspResponse {
  status: number;
  certStatus?: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: number;
  serial?: string;
  hashOid?: string;
  thisUpdate?: Date;
  nextUpdate?: Date;
  producedAt?: Date;
  responderKeyHash?: Uint8Array;
  certs: Uint8Array[];
  nonce?: Uint8Array;
  tbs?: Uint8Array;
  signatureAlgorithm?: Uint8Array;
  signature?: Uint8Array;
}

const r = derReader;

/** Decodes an OCSPResponse (test-side, independent of the encoder). */
export function decodeOcspResponse(bytes: Uint8Array): DecodedOcspResponse {
  const top = r.children(r.readSingle(bytes));
  const status = Number(r.valueOf(top[0]!)[0]);
  if (top[1] === undefined) return { status, certs: [] };
  const rb = r.children(r.children(top[1])[0]!);
  const basic = r.children(r.readSingle(r.valueOf(rb[1]!)));
  const data = r.children(basic[0]!);
  const responderId = r.valueOf(r.children(data[0]!)[0]!);
  const producedAt = r.readTime(data[1]!);
  const single = r.children(r.children(data[2]!)[0]!);
  const certId = r.children(single[0]!);
  const cs = single[1]!;
  const out: DecodedOcspResponse = {
    status,
    certStatus: cs.tag === 0x80 ? 'good' : cs.tag === 0xa1 ? 'revoked' : 'unknown',
    serial: Buffer.from(r.readIntegerBytes(certId[3]!)).toString('hex'),
    hashOid: r.readOid(r.children(certId[0]!)[0]!),
    thisUpdate: r.readTime(single[2]!),
    nextUpdate: r.readTime(r.children(single[3]!)[0]!),
    producedAt,
    responderKeyHash: new Uint8Array(responderId),
    certs: basic[3] === undefined ? [] : r.children(r.children(basic[3])[0]!).map((c) => new Uint8Array(r.encodingOf(c))),
    tbs: new Uint8Array(r.encodingOf(basic[0]!)),
    signatureAlgorithm: new Uint8Array(r.encodingOf(basic[1]!)),
    signature: r.readBitStringOctets(basic[2]!),
  };
  if (cs.tag === 0xa1) {
    const info = r.children(cs);
    out.revokedAt = r.readTime(info[0]!);
    if (info[1] !== undefined) out.reason = Number(r.valueOf(r.children(info[1])[0]!)[0]);
  }
  if (data[3] !== undefined) {
    const ext = r.children(r.children(r.children(data[3])[0]!)[0]!);
    out.nonce = new Uint8Array(r.valueOf(ext[1]!));
  }
  return out;
}

/** Verifies the BasicOCSPResponse signature with `spki`. */
export async function responseSignatureValid(d: DecodedOcspResponse, spki: Uint8Array): Promise<boolean> {
  const alg = signatureAlgorithmFromDer(d.signatureAlgorithm!);
  return alg !== undefined && verifySignature(spki, alg, d.tbs!, d.signature!);
}
