/**
 * The Express application: its own routes, with the CA mounted next to
 * them — ACME under `/acme`, OCSP under `/ocsp`, CRLs under `/crl`. Both
 * engines are handed to `createExpressRouter`, which accepts any object
 * with a `handle(request)` method.
 * @module
 */
import express, { type Express } from 'express';
import { createExpressRouter } from '@certwright/acme/express';
import type { Ca } from './ca.js';

/** Builds the app; `publicUrl` is the origin clients use (the routers rebuild request URLs from it). */
export function createApp(ca: Ca, publicUrl: string): Express {
  const app = express();
  app.disable('x-powered-by');
  const baseUrl = `${publicUrl}/acme`;
  // The ACME router reads the raw JWS body itself: mount it before any body parser of the app.
  app.use('/acme', createExpressRouter(ca.engine, { baseUrl }));
  app.use('/ocsp', createExpressRouter(ca.ocsp, { baseUrl }));
  app.use('/crl', createExpressRouter(ca.ocsp, { baseUrl }));

  // The app's own routes.
  app.use(express.json());
  app.get('/', (_req, res) => {
    res.json({ service: 'example-express-postgres-hsm', status: 'ok', acmeDirectory: `${baseUrl}/directory`, ocsp: `${publicUrl}/ocsp/` });
  });
  app.get('/root.pem', (_req, res) => {
    res.type('application/x-pem-file').send(ca.hierarchy.rootPem);
  });
  return app;
}
