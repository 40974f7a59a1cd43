import { CertwrightError } from '@certwright/core';
import { isStrictBase64url } from './base64url.js';
import { isJsonObject, parseJsonObjectText } from './json-part.js';
import { quote } from './quote.js';
import { decodeUtf8Strict, isWellFormedText } from './utf8.js';

/** The three members of a flattened JWS JSON serialization (RFC 7515 §7.2.2), still encoded. */
export interface FlattenedJws {
  /** base64url of the protected header JSON. */
  readonly protected: string;
  /** base64url of the payload; empty for POST-as-GET (RFC 8555 §6.3). */
  readonly payload: string;
  /** base64url of the signature or MAC. */
  readonly signature: string;
}

const MEMBERS = ['protected', 'payload', 'signature'] as const;

/**
 * Reads a request body as a flattened JWS: size-capped, strict UTF-8, strict
 * JSON (no duplicate member names), then {@link toFlattenedJws}.
 *
 * @param maxBytes the largest body accepted, in bytes.
 * @throws CertwrightError `malformed` naming the rule that failed.
 */
export function parseJwsBody(body: Uint8Array | string, maxBytes: number): FlattenedJws {
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
  if (size === 0) throw new CertwrightError('malformed', 'The request body is empty; ACME requests carry a flattened JWS');
  if (size > maxBytes) throw new CertwrightError('malformed', `The request body is ${size} bytes, more than the limit of ${maxBytes}`);
  let text: string | undefined;
  if (typeof body === 'string') text = isWellFormedText(body) ? body : undefined;
  else text = decodeUtf8Strict(body);
  if (text === undefined) throw new CertwrightError('malformed', 'The request body is not valid UTF-8');
  return toFlattenedJws(parseJsonObjectText(text, 'The request body'), 'JWS');
}

/**
 * Checks that a parsed JSON value is a flattened JWS (RFC 7515 §7.2.2) as
 * ACME requires (RFC 8555 §6.2): exactly `protected`, `payload` and
 * `signature`, each a strict base64url string. The general serialization
 * (`signatures`), an unprotected `header` and any other member are refused.
 * Also used for the inner JWS of keyChange and the EAB JWS, which arrive as
 * JSON objects inside a payload.
 *
 * @param what names the JWS in problem details ("JWS", "inner JWS", ...).
 * @throws CertwrightError `malformed` naming the offending member.
 */
export function toFlattenedJws(value: unknown, what: string): FlattenedJws {
  if (!isJsonObject(value)) throw new CertwrightError('malformed', `${what} must be a flattened JWS JSON object (RFC 7515 §7.2.2)`);
  for (const member of Object.keys(value)) {
    if (member === 'signatures') throw new CertwrightError('malformed', `${what} uses the general JSON serialization ('signatures'); only the flattened serialization is accepted (RFC 8555 §6.2)`);
    if (member === 'header') throw new CertwrightError('malformed', `${what} has an unprotected 'header' member; all header parameters must be in 'protected' (RFC 8555 §6.2)`);
    if (!(MEMBERS as readonly string[]).includes(member)) throw new CertwrightError('malformed', `${what} has an unexpected member ${quote(member)}`);
  }
  for (const member of MEMBERS) {
    const part = value[member];
    if (typeof part !== 'string') throw new CertwrightError('malformed', `${what} member '${member}' is missing or not a string`);
    if (!isStrictBase64url(part)) throw new CertwrightError('malformed', `${what} member '${member}' is not strict base64url (RFC 7515 §2: no padding, whitespace or non-canonical trailing bits)`);
  }
  return { protected: value['protected'] as string, payload: value['payload'] as string, signature: value['signature'] as string };
}
