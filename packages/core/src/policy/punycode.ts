/**
 * Punycode (RFC 3492), the encoding behind IDNA A-labels (RFC 5890 §2.3.2.1).
 * Only the transformation itself lives here, without the `xn--` prefix and
 * without any IDNA mapping: the DNS name policy uses it to verify that an
 * A-label decodes and re-encodes to itself.
 * @module
 */

// RFC 3492 §5: parameter values for Punycode.
const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 0x80;
const DELIMITER = '-';
/** Largest value the integer arithmetic may reach (RFC 3492 §6.4 overflow handling). */
const MAX_INT = 0x7fffffff;
const MAX_CODE_POINT = 0x10ffff;

/** RFC 3492 §6.1: the bias adaptation function. */
function adapt(delta: number, numPoints: number, firstTime: boolean): number {
  let d = firstTime ? Math.floor(delta / DAMP) : Math.floor(delta / 2);
  d += Math.floor(d / numPoints);
  let k = 0;
  while (d > ((BASE - T_MIN) * T_MAX) >> 1) {
    d = Math.floor(d / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * d) / (d + SKEW));
}

/** The threshold t for position k (RFC 3492 §6.2, §6.3). */
function threshold(k: number, bias: number): number {
  if (k <= bias) return T_MIN;
  if (k >= bias + T_MAX) return T_MAX;
  return k - bias;
}

/** Digit value of one Punycode character (a–z = 0–25, 0–9 = 26–35), or -1. */
function digitValue(codeUnit: number): number {
  if (codeUnit >= 0x30 && codeUnit <= 0x39) return codeUnit - 0x30 + 26;
  if (codeUnit >= 0x61 && codeUnit <= 0x7a) return codeUnit - 0x61;
  if (codeUnit >= 0x41 && codeUnit <= 0x5a) return codeUnit - 0x41;
  return -1;
}

/** The lowercase Punycode character for a digit value 0–35. */
function digitChar(d: number): string {
  return String.fromCharCode(d < 26 ? 0x61 + d : 0x30 + d - 26);
}

/**
 * Decodes a Punycode string (the part of an A-label after `xn--`) into
 * Unicode (RFC 3492 §6.2). Returns `undefined` for anything that is not
 * valid Punycode: a non-basic character before the delimiter, a character
 * that is not a digit, a truncated integer, an overflow, or a decoded code
 * point that is basic, a surrogate or beyond U+10FFFF.
 */
export function punycodeDecode(input: string): string | undefined {
  const output: number[] = [];
  const delimiterAt = input.lastIndexOf(DELIMITER);
  let pos = 0;
  if (delimiterAt > 0) {
    for (let j = 0; j < delimiterAt; j++) {
      const c = input.charCodeAt(j);
      if (c >= 0x80) return undefined;
      output.push(c);
    }
    pos = delimiterAt + 1;
  }
  let n = INITIAL_N;
  let i = 0;
  let bias = INITIAL_BIAS;
  while (pos < input.length) {
    const oldI = i;
    let w = 1;
    for (let k = BASE; ; k += BASE) {
      if (pos >= input.length) return undefined;
      const digit = digitValue(input.charCodeAt(pos++));
      if (digit < 0) return undefined;
      if (digit > Math.floor((MAX_INT - i) / w)) return undefined;
      i += digit * w;
      const t = threshold(k, bias);
      if (digit < t) break;
      if (w > Math.floor(MAX_INT / (BASE - t))) return undefined;
      w *= BASE - t;
    }
    const length = output.length + 1;
    bias = adapt(i - oldI, length, oldI === 0);
    if (Math.floor(i / length) > MAX_INT - n) return undefined;
    n += Math.floor(i / length);
    i %= length;
    if (n < 0x80 || n > MAX_CODE_POINT || (n >= 0xd800 && n <= 0xdfff)) return undefined;
    output.splice(i, 0, n);
    i++;
  }
  return String.fromCodePoint(...output);
}

/**
 * Encodes a Unicode string into Punycode (RFC 3492 §6.3), without the
 * `xn--` prefix. Letters are emitted lowercase. Returns `undefined` if the
 * input holds a lone surrogate or the arithmetic would overflow.
 */
export function punycodeEncode(input: string): string | undefined {
  const codePoints: number[] = [];
  for (const ch of input) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) return undefined;
    codePoints.push(cp);
  }
  let output = '';
  for (const cp of codePoints) if (cp < 0x80) output += String.fromCharCode(cp);
  const basicCount = output.length;
  let handled = basicCount;
  if (basicCount > 0) output += DELIMITER;
  let n = INITIAL_N;
  let delta = 0;
  let bias = INITIAL_BIAS;
  while (handled < codePoints.length) {
    let m = MAX_CODE_POINT + 1;
    for (const cp of codePoints) if (cp >= n && cp < m) m = cp;
    if (m - n > Math.floor((MAX_INT - delta) / (handled + 1))) return undefined;
    delta += (m - n) * (handled + 1);
    n = m;
    for (const cp of codePoints) {
      if (cp < n) {
        delta++;
        if (delta > MAX_INT) return undefined;
      }
      if (cp === n) {
        let q = delta;
        for (let k = BASE; ; k += BASE) {
          const t = threshold(k, bias);
          if (q < t) break;
          output += digitChar(t + ((q - t) % (BASE - t)));
          q = Math.floor((q - t) / (BASE - t));
        }
        output += digitChar(q);
        bias = adapt(delta, handled + 1, handled === basicCount);
        delta = 0;
        handled++;
      }
    }
    delta++;
    n++;
  }
  return output;
}
