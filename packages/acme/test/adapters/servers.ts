import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import type { AcmeServer } from '../../src/engine/index.js';
import { createExpressRouter } from '../../src/express/index.js';
import { acmeFrameworkErrors, acmePlugin } from '../../src/fastify/index.js';
import { createNodeHandler } from '../../src/node/index.js';
import type { AdapterOptions } from '../../src/node/index.js';

/** A started HTTP server around one engine. */
export interface RunningAdapter {
  /** The engine's base URL, e.g. `http://127.0.0.1:40123/acme`. */
  baseUrl: string;
  engine: TestEngine;
  close(): Promise<void>;
}

/** What the servers use of an engine: the adapters need `handle`, shutdown needs `close`. */
export type TestEngine = Pick<AcmeServer, 'handle' | 'close'>;

/** Builds the engine once the port (hence the base URL) is known. */
export type EngineFor = (baseUrl: string) => Promise<TestEngine>;

/** Starts a real HTTP server on 127.0.0.1:0 with one adapter around the engine `engineFor` builds. */
export type AdapterFactory = (engineFor: EngineFor, options?: Omit<AdapterOptions, 'baseUrl'>) => Promise<RunningAdapter>;

async function listening(): Promise<{ http: Server; baseUrl: string }> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { http, baseUrl: `http://127.0.0.1:${port}/acme` };
}

function closer(http: Server, engine: TestEngine, extra: () => Promise<void> = async () => undefined): () => Promise<void> {
  return async () => {
    await engine.close();
    await extra();
    http.closeAllConnections();
    await new Promise<void>((resolve, reject) => http.close((err) => (err === undefined ? resolve() : reject(err))));
  };
}

/** node:http: the handler is the server's only listener. */
export const startNode: AdapterFactory = async (engineFor, options = {}) => {
  const { http, baseUrl } = await listening();
  const engine = await engineFor(baseUrl);
  http.on('request', createNodeHandler(engine, { ...options, baseUrl }));
  return { baseUrl, engine, close: closer(http, engine) };
};

/** Which body parsers the Express host app installs before the ACME router. */
export type ExpressParsers = 'none' | 'json-urlencoded-text' | 'raw-everything';

/** Express with the router mounted at /acme, next to a host route. */
export function startExpress(parsers: ExpressParsers): AdapterFactory {
  return async (engineFor, options = {}) => {
    const { http, baseUrl } = await listening();
    const engine = await engineFor(baseUrl);
    const app = express();
    if (parsers === 'json-urlencoded-text') app.use(express.json(), express.urlencoded({ extended: false }), express.text());
    if (parsers === 'raw-everything') app.use(express.raw({ type: '*/*', limit: '1mb' }));
    app.post('/host/echo', (req, res) => {
      res.json({ seen: req.body as unknown });
    });
    app.use('/acme', createExpressRouter(engine, { ...options, baseUrl }));
    http.on('request', app);
    return { baseUrl, engine, close: closer(http, engine) };
  };
}

/** Fastify with the plugin registered under /acme (and its `frameworkErrors` option), next to a host JSON route. */
export const startFastify: AdapterFactory = async (engineFor, options = {}) => {
  const { http, baseUrl } = await listening();
  const engine = await engineFor(baseUrl);
  const app = Fastify({
    frameworkErrors: acmeFrameworkErrors({ ...options, server: engine, baseUrl }),
    serverFactory: (handler) => {
      http.on('request', handler);
      return http;
    },
  });
  app.post('/host/echo', async (request) => ({ seen: request.body }));
  await app.register(acmePlugin, { ...options, prefix: '/acme', server: engine, baseUrl });
  await app.ready();
  return { baseUrl, engine, close: closer(http, engine, () => app.close()) };
};

/** Every adapter variant the conformance suite runs over. */
export const ADAPTERS: readonly [string, AdapterFactory][] = [
  ['node:http', startNode],
  ['express (no body parsers)', startExpress('none')],
  ['express (json + urlencoded + text parsers)', startExpress('json-urlencoded-text')],
  ['express (raw parser for every type)', startExpress('raw-everything')],
  ['fastify', startFastify],
];
