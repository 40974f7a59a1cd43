import { CertwrightError } from '@certwright/core';
import { quote } from './quote.js';

/** The media type of every ACME POST body (RFC 8555 §6.2, RFC 7515 §9.2.1). */
export const JOSE_JSON_MEDIA_TYPE = 'application/jose+json';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Checks the request's `Content-Type` (RFC 8555 §6.2: a server MUST reject
 * anything other than `application/jose+json` with HTTP 415).
 *
 * The type and subtype compare case-insensitively with optional surrounding
 * whitespace (RFC 9110 §8.3.1). `application/jose+json` defines no parameters
 * (RFC 7515 §9.2.1), so the only parameter tolerated is `charset=utf-8`,
 * which restates what the JSON body must be anyway (RFC 8259 §8.1); any other
 * parameter, or a different charset, is refused.
 *
 * @throws CertwrightError `unsupportedMediaType` (HTTP 415) naming what was received.
 */
export function checkJoseMediaType(contentType: string | undefined): void {
  if (contentType === undefined || contentType.trim() === '') {
    throw new CertwrightError('unsupportedMediaType', `The Content-Type header is missing; ACME requests must use ${JOSE_JSON_MEDIA_TYPE}`);
  }
  const [essence = '', ...parameters] = contentType.split(';');
  if (essence.trim().toLowerCase() !== JOSE_JSON_MEDIA_TYPE) {
    throw new CertwrightError('unsupportedMediaType', `Content-Type ${quote(contentType)} is not ${JOSE_JSON_MEDIA_TYPE}`);
  }
  for (const parameter of parameters) {
    if (!isUtf8Charset(parameter)) {
      throw new CertwrightError('unsupportedMediaType', `Content-Type parameter ${quote(parameter.trim())} is not allowed; ${JOSE_JSON_MEDIA_TYPE} takes no parameters other than charset=utf-8`);
    }
  }
}

function isUtf8Charset(parameter: string): boolean {
  const eq = parameter.indexOf('=');
  if (eq < 0) return false;
  const name = parameter.slice(0, eq).trim();
  let value = parameter.slice(eq + 1).trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return TOKEN.test(name) && name.toLowerCase() === 'charset' && value.toLowerCase() === 'utf-8';
}
