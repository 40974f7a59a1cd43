/**
 * The identifiers a CSR asks for, and the finalize rule that they be exactly
 * the order's identifiers (RFC 8555 §7.4: "The CSR MUST indicate the exact
 * same set of requested identifiers as the initial newOrder request").
 */
import { CertwrightError } from '../errors.js';
import { compareIdentifiers, identifierKey, type Identifier } from '../identifier.js';
import { formatIp, tryParseIp } from '../policy/ip-address.js';
import type { ParsedCsr } from './parse.js';

/** A commonName as an identifier: an IP address when it parses as one, else a lowercase DNS name. */
function commonNameIdentifier(commonName: string): Identifier {
  const ip = tryParseIp(commonName);
  return ip === undefined ? { type: 'dns', value: commonName.toLowerCase() } : { type: 'ip', value: formatIp(ip) };
}

function uniqueSorted(ids: Identifier[]): Identifier[] {
  const map = new Map(ids.map((id) => [identifierKey(id), id]));
  return [...map.values()].sort(compareIdentifiers);
}

/** The identifiers named by the CSR's subjectAltNames, deduplicated and sorted. */
function sanIdentifiers(csr: ParsedCsr): Identifier[] {
  return uniqueSorted([
    ...csr.dnsNames.map((value): Identifier => ({ type: 'dns', value: value.toLowerCase() })),
    ...csr.ipAddresses.map((value): Identifier => ({ type: 'ip', value })),
  ]);
}

/**
 * Every identifier the CSR names — its DNS and IP SANs and its commonName —
 * normalized (DNS lowercase, IP canonical), deduplicated and sorted.
 */
export function csrIdentifiers(csr: ParsedCsr): Identifier[] {
  const ids = sanIdentifiers(csr);
  return csr.commonName === undefined ? ids : uniqueSorted([...ids, commonNameIdentifier(csr.commonName)]);
}

function normalizeOrderIdentifier(id: Identifier): Identifier {
  if (id.type === 'ip') {
    const ip = tryParseIp(id.value);
    return { type: 'ip', value: ip === undefined ? id.value : formatIp(ip) };
  }
  return { type: id.type, value: id.value.toLowerCase() };
}

const show = (ids: Identifier[]): string => ids.map((id) => `${id.type}:${id.value}`).join(', ');

/**
 * Throws `badCSR` unless the CSR names exactly the order's identifiers
 * (RFC 8555 §7.4): the set of its SANs and its commonName must equal the
 * order's identifiers after normalization. A DNS name may be requested in
 * the commonName, in a subjectAltName or in both, as §7.4 allows, so a CSR
 * with only a commonName is accepted; an IP address must be an iPAddress
 * subjectAltName (RFC 5280 §4.2.1.6), since §7.4 gives the commonName
 * alternative to DNS names only. The
 * certificate's own subject comes from the profile and the order, never
 * from the CSR. The detail lists the missing and the extra names.
 */
export function checkCsrMatchesOrder(csr: ParsedCsr, orderIdentifiers: readonly Identifier[]): void {
  const sans = sanIdentifiers(csr);
  let named = sans;
  if (csr.commonName !== undefined) {
    const cn = commonNameIdentifier(csr.commonName);
    if (cn.type === 'ip' && !sans.some((id) => identifierKey(id) === identifierKey(cn))) {
      throw new CertwrightError(
        'badCSR',
        `the CSR commonName "${csr.commonName}" is an IP address that is not among its subjectAltNames; request IP addresses as iPAddress subjectAltNames (RFC 8555 §7.4 allows only DNS names in the commonName)`,
      );
    }
    named = uniqueSorted([...sans, cn]);
  }
  const wanted = uniqueSorted(orderIdentifiers.map(normalizeOrderIdentifier));
  const have = new Set(named.map(identifierKey));
  const want = new Set(wanted.map(identifierKey));
  const missing = wanted.filter((id) => !have.has(identifierKey(id)));
  const extra = named.filter((id) => !want.has(identifierKey(id)));
  if (missing.length === 0 && extra.length === 0) return;
  const parts = [
    missing.length > 0 ? `missing ${show(missing)}` : undefined,
    extra.length > 0 ? `not in the order ${show(extra)}` : undefined,
  ].filter((p): p is string => p !== undefined);
  throw new CertwrightError('badCSR', `the CSR names do not match the order: ${parts.join('; ')}`);
}
