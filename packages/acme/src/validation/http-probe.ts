/**
 * One HTTP GET to an already checked address, with `node:http` /
 * `node:https` directly (not `fetch`) so that the socket goes exactly where
 * the connection policy allowed: the IP is dialled, the name only travels
 * in the Host header and SNI. HTTPS uses TLS 1.2 or later and does not
 * verify the certificate (RFC 8555 §8.3 redirects to https need no trusted
 * certificate). The body is read up to a limit and never beyond.
 * @module
 */
import { request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CertwrightError, tryParseIp } from '@certwright/core';
import { ConnectFailedError } from './dial-fallback.js';

/** What to fetch, and from which checked address. */
export interface HttpProbeRequest {
  /** The http or https URL; its host goes into the Host header and SNI. */
  readonly url: URL;
  /** The checked IP address to connect to. */
  readonly address: string;
  /** Limit for connecting, the TLS handshake and the whole response, in milliseconds. */
  readonly timeoutMs: number;
  /** Bodies longer than this are refused (`incorrectResponse`) without being read further. */
  readonly maxBodyBytes: number;
  /** The User-Agent header. */
  readonly userAgent: string;
}

/** The parts of a response validation looks at. */
export interface HttpProbeResponse {
  readonly status: number;
  /** The Location header, when present. */
  readonly location: string | undefined;
  /** The body (empty for redirects, which are not read). */
  readonly body: Buffer;
}

/** True for the statuses whose body validation never reads. */
function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

function defaultPort(url: URL): number {
  return url.protocol === 'https:' ? 443 : 80;
}

function errorText(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'string') return (err as { code: string }).code;
  return err instanceof Error ? err.message : 'unknown error';
}

function readBody(res: IncomingMessage, probe: HttpProbeRequest, done: (err: Error | undefined, body?: Buffer) => void): void {
  const declared = Number(res.headers['content-length'] ?? NaN);
  const tooLarge = (): CertwrightError =>
    new CertwrightError('incorrectResponse', `The response from ${probe.url.href} is larger than ${probe.maxBodyBytes} bytes, more than a key authorization can be`);
  if (Number.isFinite(declared) && declared > probe.maxBodyBytes) {
    res.destroy();
    done(tooLarge());
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > probe.maxBodyBytes) {
      res.destroy();
      done(tooLarge());
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () => done(undefined, Buffer.concat(chunks)));
  res.on('error', (err) => done(new CertwrightError('connection', `Reading the response from ${probe.url.href} failed: ${errorText(err)}`)));
}

/**
 * Sends one GET to `probe.address` and resolves with the status, Location
 * and (for non-redirects) the body. Rejects with a `ConnectFailedError`
 * when no connection could be made (so the next address may be tried),
 * `tls` for a failed handshake, `connection` for a timeout or broken
 * response, `incorrectResponse` for an oversized body.
 */
export function probeHttp(probe: HttpProbeRequest): Promise<HttpProbeResponse> {
  const { url } = probe;
  const https = url.protocol === 'https:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? defaultPort(url) : Number(url.port);
  return new Promise((resolve, reject) => {
    let settled = false;
    let connected = false;
    const handle: { req?: ClientRequest } = {};
    const finish = (err: Error | undefined, value?: HttpProbeResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      handle.req?.destroy();
      if (err !== undefined) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      const where = `${probe.address} port ${port}`;
      finish(connected ? new CertwrightError('connection', `Timed out after ${probe.timeoutMs} ms waiting for a response from ${url.href} (${where})`) : new ConnectFailedError(`Timed out connecting to ${where}`));
    }, probe.timeoutMs);
    const options = {
      host: probe.address,
      port,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      agent: false as const,
      headers: { Host: url.host, 'User-Agent': probe.userAgent, Accept: '*/*', Connection: 'close' },
    };
    const onResponse = (res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
      if (isRedirect(status)) {
        res.destroy();
        finish(undefined, { status, location, body: Buffer.alloc(0) });
        return;
      }
      readBody(res, probe, (err, body) => finish(err, { status, location, body: body ?? Buffer.alloc(0) }));
    };
    const req = https
      ? httpsRequest(
          {
            ...options,
            rejectUnauthorized: false,
            minVersion: 'TLSv1.2',
            ...(tryParseIp(hostname) === undefined ? { servername: hostname } : {}),
          },
          onResponse,
        )
      : httpRequest(options, onResponse);
    handle.req = req;
    let secured = false;
    req.on('socket', (socket) => {
      socket.once('connect', () => (connected = true));
      socket.once('secureConnect', () => (secured = true));
    });
    req.on('error', (err) => {
      if (!connected) finish(new ConnectFailedError(`Could not connect to ${probe.address} port ${port}: ${errorText(err)}`, { cause: err }));
      else if (https && !secured) finish(new CertwrightError('tls', `TLS error talking to ${url.href}: ${errorText(err)}`, { cause: err }));
      else finish(new CertwrightError('connection', `Error fetching ${url.href}: ${errorText(err)}`, { cause: err }));
    });
    req.end();
  });
}
