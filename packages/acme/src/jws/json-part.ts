import { CertwrightError } from '@certwright/core';
import { decodeBase64urlStrict } from './base64url.js';
import { parseStrictJson, StrictJsonError } from './strict-json.js';
import type { JsonValue } from './strict-json.js';
import { decodeUtf8Strict } from './utf8.js';

/** A JSON object as decoded from a JWS part. */
export type JsonObject = { [member: string]: JsonValue };

/** True when `value` is a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses UTF-8 JSON text strictly (see {@link parseStrictJson}) and requires
 * an object.
 *
 * @param what names the part in problem details, e.g. "JWS protected header".
 * @throws CertwrightError `malformed` naming `what` and the problem.
 */
export function parseJsonObjectText(text: string, what: string): JsonObject {
  let value: JsonValue;
  try {
    value = parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) throw new CertwrightError('malformed', `${what} is not valid JSON: ${err.message}`, { cause: err });
    throw err;
  }
  if (!isJsonObject(value)) throw new CertwrightError('malformed', `${what} must be a JSON object`);
  return value;
}

/**
 * Decodes a base64url JWS part (RFC 7515 §7.2.1) holding a UTF-8 JSON
 * object: strict base64url, strict UTF-8, strict JSON, an object.
 *
 * @throws CertwrightError `malformed` naming `what` and the failing step.
 */
export function decodeJsonObjectPart(part: string, what: string): JsonObject {
  const bytes = decodeBase64urlStrict(part);
  if (bytes === undefined) throw new CertwrightError('malformed', `${what} is not strict base64url (RFC 7515 §2)`);
  const text = decodeUtf8Strict(bytes);
  if (text === undefined) throw new CertwrightError('malformed', `${what} is not valid UTF-8`);
  return parseJsonObjectText(text, what);
}
