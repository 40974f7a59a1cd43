import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { consumedBody } from '../../src/express/index.js';

function fakeRequest(fields: { body?: unknown; readableEnded?: boolean; headers?: Record<string, string> }): IncomingMessage & { body?: unknown } {
  return { body: fields.body, readableEnded: fields.readableEnded ?? false, headers: fields.headers ?? {} } as unknown as IncomingMessage & { body?: unknown };
}

const JOSE = { 'content-type': 'application/jose+json', 'content-length': '10' };

describe('consumedBody (what host body parsers left for the Express router)', () => {
  it('reads the stream itself when nobody touched it', () => {
    expect(consumedBody(fakeRequest({ headers: JOSE }))).toEqual({ kind: 'unread' });
  });

  it('takes a Buffer (express.raw) as the exact bytes and an empty one as no body', () => {
    const result = consumedBody(fakeRequest({ body: Buffer.from('{"a":1}'), readableEnded: true, headers: JOSE }));
    expect(result.kind).toBe('body');
    expect(Buffer.from((result as { body: Uint8Array }).body).toString()).toBe('{"a":1}');
    expect(consumedBody(fakeRequest({ body: Buffer.alloc(0), readableEnded: true }))).toEqual({ kind: 'body', body: undefined });
  });

  it('takes a string (express.text) as its UTF-8 bytes', () => {
    const result = consumedBody(fakeRequest({ body: '{"é":1}', readableEnded: true, headers: JOSE }));
    expect(Buffer.from((result as { body: Uint8Array }).body).toString('utf8')).toBe('{"é":1}');
  });

  it('reports a JOSE body parsed into an object as lost, naming the other body parser', () => {
    const result = consumedBody(fakeRequest({ body: { protected: 'x' }, readableEnded: true, headers: { 'content-type': 'application/jose+json; charset=utf-8' } }));
    expect(result.kind).toBe('lost');
    expect((result as { detail: string }).detail).toMatch(/consumed by another body parser/);
  });

  it('passes a parsed body of another media type as absent: the engine answers 415 for it anyway', () => {
    expect(consumedBody(fakeRequest({ body: { a: 1 }, readableEnded: true, headers: { 'content-type': 'application/json' } }))).toEqual({ kind: 'body', body: undefined });
  });

  it('a stream consumed without leaving req.body: lost when a JOSE body was declared, absent otherwise', () => {
    expect(consumedBody(fakeRequest({ readableEnded: true, headers: JOSE })).kind).toBe('lost');
    expect(consumedBody(fakeRequest({ readableEnded: true, headers: { 'content-type': 'application/jose+json', 'transfer-encoding': 'chunked' } })).kind).toBe('lost');
    expect(consumedBody(fakeRequest({ readableEnded: true, headers: { 'content-type': 'application/jose+json', 'content-length': '0' } }))).toEqual({ kind: 'body', body: undefined });
    expect(consumedBody(fakeRequest({ readableEnded: true }))).toEqual({ kind: 'body', body: undefined });
  });
});
