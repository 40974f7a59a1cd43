/*
 * A TCP proxy on a loopback port for the database-outage tests (here and
 * in examples/standalone/test/database-outage.test.ts): the store or the CA
 * talks to the database through it, and the test cuts the network
 * (`refuse`: every connection reset, new ones refused) or hangs it
 * (`blackhole`: connections accepted, nothing forwarded either way, as with
 * a partition or a database that stopped answering), then heals it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** What the proxy does with traffic. */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

/** A running proxy to one upstream address. */
export interface TcpProxy {
  readonly port: number;
  /** Switches the mode; `refuse` resets every open connection, `forward` resets the ones a blackhole held. */
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

/** Starts a proxy from a free loopback port to `host:port`, forwarding. */
export async function startTcpProxy(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  const open = new Set<Socket>();
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (mode === 'refuse') return void client.resetAndDestroy();
    if (mode === 'blackhole') return; // accepted, never answered
    const upstream = connect(upstreamPort, upstreamHost);
    track(upstream);
    // Bytes pass only while forwarding; under a blackhole they are dropped (the connection is dead to both ends).
    client.on('data', (chunk: Buffer) => void (mode === 'forward' && upstream.write(chunk)));
    upstream.on('data', (chunk: Buffer) => void (mode === 'forward' && client.write(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const resetAll = (): void => {
    for (const socket of open) socket.resetAndDestroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    setMode(next) {
      const previous = mode;
      mode = next;
      if (next === 'refuse' || (next === 'forward' && previous === 'blackhole')) resetAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        resetAll();
        server.close(() => resolve());
      }),
  };
}
