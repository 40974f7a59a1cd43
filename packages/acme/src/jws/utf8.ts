const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Decodes UTF-8 strictly (RFC 3629): invalid sequences, overlong forms,
 * encoded surrogates and truncated characters are rejected rather than
 * replaced with U+FFFD, and a leading byte-order mark is kept (so a JSON
 * parser rejects it, as RFC 8259 §8.1 allows).
 *
 * @returns the text, or `undefined` when `bytes` is not valid UTF-8.
 */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** True when `text` has no unpaired UTF-16 surrogate, so that it has a UTF-8 encoding. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
