import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { isCertwrightError } from '../../src/errors.js';
import { QueryTemplate, QueryTemplates, slot } from '../../src/sql/prepared-queries.js';
import type { Schema } from '../../src/sql/schema.js';
import { ImmediateSqliteDialect } from '../../src/sql/sqlite-dialect.js';

async function withDb(body: (db: Kysely<Schema>) => Promise<void>): Promise<void> {
  const db = new Kysely<Schema>({ dialect: new ImmediateSqliteDialect({ database: new Database(':memory:') }) });
  try {
    await sql`create table nonces (value text primary key, expires integer not null)`.execute(db);
    await body(db);
  } finally {
    await db.destroy();
  }
}

describe('QueryTemplate', () => {
  it('compiles to the SQL the builder gives and binds slots in compiled order, keeping constants', async () => {
    await withDb(async (db) => {
      const template = new QueryTemplate(
        db.selectFrom('nonces').select('value').where('expires', '>', slot<number>('after')).where('value', 'in', [slot('a'), 'fixed', slot('b')]),
      );
      expect(template.sql).toBe(
        db.selectFrom('nonces').select('value').where('expires', '>', 0).where('value', 'in', ['', '', '']).compile().sql,
      );
      const insert = new QueryTemplate(db.insertInto('nonces').values({ value: slot('value'), expires: slot<number>('expires') }));
      for (const [value, expires] of [['a', 5], ['b', 1], ['fixed', 9], ['c', 9]] as const) {
        expect(await insert.affected(db, { expires, value })).toBe(1);
      }
      const rows = await template.rows(db, { b: 'c', after: 2, a: 'a' });
      expect(rows.map((r) => r.value).sort()).toEqual(['a', 'c', 'fixed']);
      expect(await template.first(db, { a: 'b', b: 'b', after: 2 })).toEqual({ value: 'fixed' });
    });
  });

  it('refuses to run with a slot left without a value', async () => {
    await withDb(async (db) => {
      const template = new QueryTemplate(db.deleteFrom('nonces').where('value', '=', slot('value')));
      let thrown: unknown;
      try {
        await template.execute(db, {});
      } catch (err) {
        thrown = err;
      }
      expect(isCertwrightError(thrown) && thrown.code === 'serverInternal').toBe(true);
      expect(await template.affected(db, { value: null })).toBe(0);
    });
  });
});

describe('QueryTemplates', () => {
  it('builds a template once per key', async () => {
    await withDb(async (db) => {
      const templates = new QueryTemplates(db);
      let builds = 0;
      const build = (q: Kysely<Schema>) => {
        builds++;
        return q.selectFrom('nonces').selectAll().where('value', '=', slot('value'));
      };
      const first = templates.get('nonce', build);
      expect(templates.get('nonce', build)).toBe(first);
      expect(builds).toBe(1);
      expect(await first.rows(db, { value: 'none' })).toEqual([]);
    });
  });
});
