import type { Issuer } from '@certwright/core';
import type { IssuerChains } from './options.js';

/**
 * The `chains` option of `createAcmeServer` for issuers held in an
 * `IssuerSet` (or anything with `byId`): each issuer's default path and its
 * alternate paths (cross-signed roots), without the self-signed root at the
 * end, which relying parties already hold (RFC 8555 §7.4.2, RFC 8446 §4.4.2).
 */
export function issuerChains(issuers: { byId(id: string): Issuer | undefined }): (issuerId: string) => IssuerChains | undefined {
  return (issuerId) => {
    const issuer = issuers.byId(issuerId);
    if (issuer === undefined) return undefined;
    return { chain: issuer.chain.slice(0, -1), alternateChains: issuer.alternateChains.map((path) => path.slice(0, -1)) };
  };
}
