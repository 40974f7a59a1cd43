/**
 * The TLS handshake of tls-alpn-01 (RFC 8737 §3): TLS 1.2 or later to a
 * checked address, the identifier (or its reverse name) as SNI, offering
 * only the `acme-tls/1` ALPN protocol, and returning the certificate the
 * server presented. Certificate trust is not verified — the certificate is
 * self-signed by design.
 * @module
 */
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { CertwrightError } from '@certwright/core';
import { ConnectFailedError } from './dial-fallback.js';

/** The ALPN protocol of tls-alpn-01 (RFC 8737 §6.2). */
export const ACME_TLS_ALPN_PROTOCOL = 'acme-tls/1';

/** One tls-alpn-01 handshake. */
export interface AcmeTlsHandshakeRequest {
  /** The checked IP address to connect to. */
  readonly address: string;
  readonly port: number;
  /** The SNI: the DNS name, or the reverse name of an IP identifier (RFC 8738 §6). */
  readonly serverName: string;
  readonly timeoutMs: number;
}

/** What the handshake produced. */
export interface AcmeTlsHandshakeResult {
  /** The leaf certificate, DER. */
  readonly certificate: Uint8Array;
  /** The negotiated TLS version, e.g. `TLSv1.3`. */
  readonly tlsVersion: string;
}

function errorText(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'string') return (err as { code: string }).code;
  return err instanceof Error ? err.message : 'unknown error';
}

/**
 * Performs the handshake and returns the presented certificate. Rejects
 * with `ConnectFailedError` when the TCP connection fails, `tls` when the
 * handshake fails or `acme-tls/1` is not negotiated or no certificate is
 * presented, and `connection` on timeout after connecting.
 */
export function acmeTlsHandshake(request: AcmeTlsHandshakeRequest): Promise<AcmeTlsHandshakeResult> {
  const where = `${request.address} port ${request.port}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    let connected = false;
    const finish = (err: Error | undefined, value?: AcmeTlsHandshakeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err !== undefined) reject(err);
      else resolve(value!);
    };
    const socket: TLSSocket = connect({
      host: request.address,
      port: request.port,
      servername: request.serverName,
      ALPNProtocols: [ACME_TLS_ALPN_PROTOCOL],
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    });
    const timer = setTimeout(() => {
      finish(connected ? new CertwrightError('connection', `Timed out after ${request.timeoutMs} ms in the TLS handshake with ${where}`) : new ConnectFailedError(`Timed out connecting to ${where}`));
    }, request.timeoutMs);
    socket.once('connect', () => (connected = true));
    socket.once('secureConnect', () => {
      const s = socket;
      if (s.alpnProtocol !== ACME_TLS_ALPN_PROTOCOL) {
        finish(new CertwrightError('tls', `The server at ${where} did not negotiate the ALPN protocol ${ACME_TLS_ALPN_PROTOCOL} for ${request.serverName}`));
        return;
      }
      const peer = s.getPeerCertificate(false);
      if (peer === undefined || peer.raw === undefined || peer.raw.length === 0) {
        finish(new CertwrightError('tls', `The server at ${where} presented no certificate`));
        return;
      }
      finish(undefined, { certificate: new Uint8Array(peer.raw), tlsVersion: s.getProtocol() ?? 'unknown' });
    });
    socket.on('error', (err) => {
      if (!connected) finish(new ConnectFailedError(`Could not connect to ${where}: ${errorText(err)}`, { cause: err }));
      else finish(new CertwrightError('tls', `TLS handshake with ${where} for ${request.serverName} failed: ${errorText(err)}`, { cause: err }));
    });
  });
}
