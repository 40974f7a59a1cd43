/**
 * The in-process http-01 responder (RFC 8555 §8.3). Issuances use distinct
 * loopback addresses (127.x.y.z, so no authorization can be reused), so it
 * listens on the wildcard address: Linux delivers every 127/8 address there.
 */
import { createServer } from 'node:http';

/** A running challenge responder. */
export interface ChallengeServer {
  readonly port: number;
  /** Key authorizations by token. */
  readonly answers: Map<string, string>;
  /** Requests answered with 200. */
  served: number;
  close(): Promise<void>;
}

/** Starts the responder on a free port. */
export async function startChallengeServer(): Promise<ChallengeServer> {
  const answers = new Map<string, string>();
  const state = { served: 0 };
  const server = createServer((req, res) => {
    const token = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '')?.[1];
    const answer = token === undefined ? undefined : answers.get(token);
    if (answer !== undefined) state.served++;
    res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(answer ?? 'no such challenge');
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const result: ChallengeServer = {
    port: (server.address() as { port: number }).port,
    answers,
    get served() {
      return state.served;
    },
    set served(v: number) {
      state.served = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return result;
}
