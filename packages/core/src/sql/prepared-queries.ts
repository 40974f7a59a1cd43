import type { CompiledQuery, Compilable, Kysely, QueryResult } from 'kysely';
import { CertwrightError } from '../errors.js';
import type { Queryable } from './context.js';
import type { Schema } from './schema.js';

/*
 * Queries compiled once and run many times. Building and compiling a kysely
 * query costs more than running a small indexed statement on SQLite, so the
 * queries of every ACME request are built once per store with named slots
 * in place of their values, compiled, and then executed with the slots
 * filled in. The SQL text is the same as the builder would produce, so the
 * database (and SQLite's statement cache) sees no difference.
 */

const SLOT_PREFIX = '\u0000certwright-slot:';

/**
 * A named value slot for a query template: put it where a value goes in
 * a kysely builder (`where('id', '=', slot('id'))`, `set({ status: slot('to') })`),
 * and give the value when running the {@link QueryTemplate}. It stands in for
 * a value of type `T` only while the template is compiled.
 */
export function slot<T = string>(name: string): T {
  return `${SLOT_PREFIX}${name}` as unknown as T;
}

/** Named values for the slots of a template. */
export type SlotValues = Readonly<Record<string, unknown>>;

/** Where a compiled parameter comes from: a slot's value, or a constant of the template. */
type ParameterSource = { readonly slot: string } | { readonly constant: unknown };

/**
 * A compiled query whose parameters are slots ({@link slot}) or constants;
 * each run binds new slot values in the positions the compiler gave them.
 */
export class QueryTemplate<R> {
  readonly #compiled: CompiledQuery<R>;
  readonly #sources: readonly ParameterSource[];

  /** Compiles `query` (built with {@link slot}s) once. */
  constructor(query: Compilable<R>) {
    this.#compiled = query.compile();
    this.#sources = this.#compiled.parameters.map((p) =>
      typeof p === 'string' && p.startsWith(SLOT_PREFIX) ? { slot: p.slice(SLOT_PREFIX.length) } : { constant: p },
    );
  }

  /** The SQL text the template runs. */
  get sql(): string {
    return this.#compiled.sql;
  }

  /** Runs the query on `q` (the database or a transaction); throws `serverInternal` if a slot has no value. */
  execute(q: Queryable, values: SlotValues): Promise<QueryResult<R>> {
    const parameters = this.#sources.map((source) => {
      if ('constant' in source) return source.constant;
      const value = values[source.slot];
      if (value === undefined) throw new CertwrightError('serverInternal', `Query slot "${source.slot}" has no value`);
      return value;
    });
    return q.executeQuery<R>({ ...this.#compiled, parameters });
  }

  /** The rows the query returns. */
  async rows(q: Queryable, values: SlotValues): Promise<R[]> {
    return (await this.execute(q, values)).rows;
  }

  /** The first row, or `undefined`. */
  async first(q: Queryable, values: SlotValues): Promise<R | undefined> {
    return (await this.execute(q, values)).rows[0];
  }

  /** How many rows an insert, update or delete affected. */
  async affected(q: Queryable, values: SlotValues): Promise<number> {
    return Number((await this.execute(q, values)).numAffectedRows ?? 0n);
  }
}

/**
 * The templates of one store, compiled on first use against its database
 * (so the SQL is in its dialect) and kept by key. A key must name
 * everything that shapes the SQL text: two builds under one key must differ
 * only in slot values.
 */
export class QueryTemplates {
  readonly #db: Kysely<Schema>;
  readonly #templates = new Map<string, QueryTemplate<unknown>>();

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** The template under `key`, built by `build` the first time. */
  get<R>(key: string, build: (db: Kysely<Schema>) => Compilable<R>): QueryTemplate<R> {
    let template = this.#templates.get(key) as QueryTemplate<R> | undefined;
    if (template === undefined) {
      template = new QueryTemplate(build(this.#db));
      this.#templates.set(key, template as QueryTemplate<unknown>);
    }
    return template;
  }
}
