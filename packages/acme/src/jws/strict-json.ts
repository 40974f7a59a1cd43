/** A JSON value as produced by {@link parseStrictJson}. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [member: string]: JsonValue };

/** Why a text was refused by {@link parseStrictJson}, with the offset of the problem. */
export class StrictJsonError extends Error {
  /** Offset (in UTF-16 code units) where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'StrictJsonError';
    this.offset = offset;
  }
}

/** Options for {@link parseStrictJson}. */
export interface StrictJsonOptions {
  /** Deepest nesting of arrays and objects accepted (default 32). */
  maxDepth?: number;
}

/**
 * Parses JSON text (RFC 8259) strictly, as the I-JSON profile (RFC 7493)
 * asks: duplicate member names in an object are rejected (`JSON.parse`
 * silently keeps the last one, which lets two parsers disagree about a
 * signed header), as are escaped unpaired surrogates, numbers that overflow
 * a double, and nesting beyond `maxDepth`. A member named `__proto__` becomes
 * an ordinary own property.
 *
 * @throws StrictJsonError when `text` is not one strict JSON value.
 */
export function parseStrictJson(text: string, options: StrictJsonOptions = {}): JsonValue {
  const parser = new Parser(text, options.maxDepth ?? 32);
  parser.skipWhitespace();
  const value = parser.value(0);
  parser.skipWhitespace();
  if (parser.pos !== text.length) throw new StrictJsonError('unexpected text after the JSON value', parser.pos);
  return value;
}

const HEX4 = /^[0-9A-Fa-f]{4}$/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  pos = 0;
  private readonly numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  skipWhitespace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  value(depth: number): JsonValue {
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.object(depth + 1);
      case '[':
        return this.array(depth + 1);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        throw new StrictJsonError(c === undefined ? 'unexpected end of JSON text' : `unexpected character ${JSON.stringify(c)}`, this.pos);
    }
  }

  private checkDepth(depth: number): void {
    if (depth > this.maxDepth) throw new StrictJsonError(`nesting deeper than ${this.maxDepth}`, this.pos);
  }

  private object(depth: number): { [member: string]: JsonValue } {
    this.checkDepth(depth);
    this.pos++;
    const result: { [member: string]: JsonValue } = {};
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') throw new StrictJsonError('expected a member name', this.pos);
      const nameOffset = this.pos;
      const name = this.string();
      if (Object.hasOwn(result, name)) throw new StrictJsonError(`duplicate member name ${JSON.stringify(name)}`, nameOffset);
      this.skipWhitespace();
      this.expect(':');
      this.skipWhitespace();
      const member = this.value(depth);
      Object.defineProperty(result, name, { value: member, enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return result;
      }
      this.expect(',');
      this.skipWhitespace();
    }
  }

  private array(depth: number): JsonValue[] {
    this.checkDepth(depth);
    this.pos++;
    const result: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.value(depth));
      this.skipWhitespace();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return result;
      }
      this.expect(',');
      this.skipWhitespace();
    }
  }

  private string(): string {
    this.pos++;
    let out = '';
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= this.text.length) throw new StrictJsonError('unterminated string', this.pos);
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) {
        out += this.text.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) throw new StrictJsonError('unescaped control character in string', this.pos);
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += this.text.slice(runStart, this.pos);
      out += this.escape();
      runStart = this.pos;
    }
  }

  /** Reads one escape sequence starting at the backslash; a surrogate pair counts as one. */
  private escape(): string {
    const start = this.pos;
    const kind = this.text[this.pos + 1];
    if (kind !== undefined && kind !== 'u' && SIMPLE_ESCAPES[kind] !== undefined) {
      this.pos += 2;
      return SIMPLE_ESCAPES[kind];
    }
    if (kind !== 'u') throw new StrictJsonError('invalid escape sequence', start);
    const unit = this.hex4(start);
    if (unit >= 0xdc00 && unit <= 0xdfff) throw new StrictJsonError('unpaired surrogate escape', start);
    if (unit < 0xd800 || unit > 0xdbff) return String.fromCharCode(unit);
    if (this.text[this.pos] !== '\\' || this.text[this.pos + 1] !== 'u') throw new StrictJsonError('unpaired surrogate escape', start);
    const low = this.hex4(this.pos);
    if (low < 0xdc00 || low > 0xdfff) throw new StrictJsonError('unpaired surrogate escape', start);
    return String.fromCharCode(unit, low);
  }

  /** Reads `\uXXXX` at `at` and advances past it. */
  private hex4(at: number): number {
    const digits = this.text.slice(at + 2, at + 6);
    if (!HEX4.test(digits)) throw new StrictJsonError('invalid \\u escape', at);
    this.pos = at + 6;
    return Number.parseInt(digits, 16);
  }

  private number(): number {
    this.numberPattern.lastIndex = this.pos;
    const match = this.numberPattern.exec(this.text);
    if (match === null) throw new StrictJsonError('invalid number', this.pos);
    const value = Number(match[0]);
    if (!Number.isFinite(value)) throw new StrictJsonError('number out of range', this.pos);
    this.pos += match[0].length;
    return value;
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) throw new StrictJsonError(`unexpected character ${JSON.stringify(this.text[this.pos])}`, this.pos);
    this.pos += word.length;
    return value;
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) {
      const found = this.text[this.pos];
      throw new StrictJsonError(found === undefined ? `expected ${JSON.stringify(c)}, found the end of the text` : `expected ${JSON.stringify(c)}, found ${JSON.stringify(found)}`, this.pos);
    }
    this.pos++;
  }
}
