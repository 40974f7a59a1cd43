/**
 * A {@link CrlNumberStore} persisted in one JSON file. Every allocation
 * rewrites the file atomically (write a temporary file, fsync, rename over
 * the old one), so a crash leaves either the old or the new counters, never
 * a torn file, and a number is on disk before it is used. One process owns
 * the file; allocations within it are serialized.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { CertwrightError } from '@certwright/core';
import type { CrlNumberStore, CrlScope } from '@certwright/core';
import { crlScopeKey } from './crl-number-store.js';

interface FileFormat {
  version: 1;
  /** Last number per scope key, as decimal strings (bigints do not survive JSON). */
  numbers: Record<string, string>;
}

function corrupt(path: string, rule: string): CertwrightError {
  return new CertwrightError('serverInternal', `CRL number file ${path}: ${rule}`);
}

/** File-backed CRL numbers; create with {@link FileCrlNumberStore.open}. */
export class FileCrlNumberStore implements CrlNumberStore {
  readonly #path: string;
  readonly #numbers: Map<string, bigint>;
  #queue: Promise<unknown> = Promise.resolve();
  #writes = 0;

  private constructor(path: string, numbers: Map<string, bigint>) {
    this.#path = path;
    this.#numbers = numbers;
  }

  /**
   * Opens (or starts) the store at `path`. A missing file means no number
   * was handed out yet; a malformed one is refused (`serverInternal`),
   * never silently reset.
   */
  static async open(path: string): Promise<FileCrlNumberStore> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new FileCrlNumberStore(path, new Map());
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw corrupt(path, 'is not JSON');
    }
    const file = parsed as Partial<FileFormat>;
    if (typeof file !== 'object' || file === null || file.version !== 1 || typeof file.numbers !== 'object' || file.numbers === null) {
      throw corrupt(path, 'is not a version 1 CRL number file');
    }
    const numbers = new Map<string, bigint>();
    for (const [key, value] of Object.entries(file.numbers)) {
      if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value)) throw corrupt(path, `number for ${key} is not a decimal integer`);
      numbers.set(key, BigInt(value));
    }
    return new FileCrlNumberStore(path, numbers);
  }

  async #persist(): Promise<void> {
    const file: FileFormat = { version: 1, numbers: Object.fromEntries([...this.#numbers].map(([k, v]) => [k, v.toString()])) };
    const tmp = `${this.#path}.${process.pid}.${++this.#writes}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(file, null, 2) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.#path);
  }

  /** @inheritdoc */
  nextCrlNumber(scope: CrlScope): Promise<bigint> {
    const run = this.#queue.then(async () => {
      const key = crlScopeKey(scope);
      const previous = this.#numbers.get(key) ?? 0n;
      const n = previous + 1n;
      this.#numbers.set(key, n);
      try {
        await this.#persist();
      } catch (err) {
        this.#numbers.set(key, previous);
        throw err;
      }
      return n;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** @inheritdoc */
  async currentCrlNumber(scope: CrlScope): Promise<bigint> {
    await this.#queue;
    return this.#numbers.get(crlScopeKey(scope)) ?? 0n;
  }
}
