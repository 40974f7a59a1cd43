/**
 * The typed failure of one DNS query. Validators and CAA checks tell an
 * authoritative "there is nothing here" (NXDOMAIN, NODATA) apart from
 * "the answer could not be had" (SERVFAIL, timeout, refused, malformed):
 * only the first may be read as an empty record set.
 * @module
 */
import { CertwrightError } from '@certwright/core';

/**
 * Why a DNS query produced no records:
 * - `nxdomain`: the name does not exist (RCODE 3);
 * - `nodata`: the name exists but has no records of the type;
 * - `servfail`: the resolver failed (RCODE 2);
 * - `timeout`: no answer within the configured timeout and tries;
 * - `refused`: the server refused the query (RCODE 5) or the connection;
 * - `error`: any other failure (malformed answer, bad name, cancelled).
 */
export type DnsFailureKind = 'nxdomain' | 'nodata' | 'servfail' | 'timeout' | 'refused' | 'error';

/** The record types certwright queries. */
export type DnsRecordType = 'A' | 'AAAA' | 'TXT' | 'CAA' | 'CNAME';

/**
 * A failed DNS query. It is a `dns` {@link CertwrightError}, so one that
 * escapes a validator still becomes a correct ACME problem; its detail
 * names the query and the failure kind.
 */
export class DnsLookupError extends CertwrightError {
  /** What went wrong (see {@link DnsFailureKind}). */
  readonly kind: DnsFailureKind;
  /** The queried name. */
  readonly queryName: string;
  /** The queried record type. */
  readonly recordType: DnsRecordType;

  constructor(kind: DnsFailureKind, queryName: string, recordType: DnsRecordType, cause?: unknown) {
    super('dns', `DNS problem: ${describeKind(kind)} looking up ${recordType} for ${queryName}`, cause === undefined ? {} : { cause });
    this.name = 'DnsLookupError';
    this.kind = kind;
    this.queryName = queryName;
    this.recordType = recordType;
  }

  /** True for an authoritative empty answer (NXDOMAIN or NODATA), which callers may treat as "no records". */
  get isEmptyAnswer(): boolean {
    return this.kind === 'nxdomain' || this.kind === 'nodata';
  }
}

/** A short human description of a failure kind, as used in problem details. */
export function describeKind(kind: DnsFailureKind): string {
  switch (kind) {
    case 'nxdomain':
      return 'NXDOMAIN (the name does not exist)';
    case 'nodata':
      return 'no records (NODATA)';
    case 'servfail':
      return 'SERVFAIL';
    case 'timeout':
      return 'query timed out';
    case 'refused':
      return 'query refused';
    case 'error':
      return 'query failed';
  }
}

/** True when `err` is a {@link DnsLookupError} for an authoritative empty answer (NXDOMAIN or NODATA). */
export function isEmptyDnsAnswer(err: unknown): boolean {
  return err instanceof DnsLookupError && err.isEmptyAnswer;
}
