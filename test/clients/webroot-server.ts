/**
 * A tiny static HTTP server for webroot-style http-01 (RFC 8555 §8.3): it
 * serves the files a client writes under `<root>/.well-known/acme-challenge/`
 * on a loopback port and records every request it answered, so a test can
 * show that the CA really fetched the token.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { resolve, sep } from 'node:path';

/** One request the server answered. */
export interface ServedRequest {
  readonly path: string;
  readonly status: number;
  readonly remoteAddress: string;
}

/** A running webroot server. */
export interface WebrootServer {
  /** Every request answered so far, oldest first. */
  readonly requests: readonly ServedRequest[];
  close(): Promise<void>;
}

/** Serves `root` on `127.0.0.1:port`: GET/HEAD of an existing file under it is 200, anything else 404. */
export async function startWebrootServer(root: string, port: number): Promise<WebrootServer> {
  const base = resolve(root);
  const requests: ServedRequest[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://webroot').pathname);
    const file = resolve(base, `.${path}`);
    const answer = (status: number, body: Buffer | string): void => {
      requests.push({ path, status, remoteAddress: req.socket.remoteAddress ?? '' });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !file.startsWith(`${base}${sep}`)) return answer(404, 'not found');
    readFile(file).then(
      (body) => answer(200, body),
      () => answer(404, 'not found'),
    );
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
  return {
    requests,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
