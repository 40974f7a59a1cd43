/**
 * A minimal DNS responder on loopback for resolver tests (RFC 1035 §4):
 * answers every query with a fixed RCODE, a TXT answer, a truncated UDP
 * answer, or silence; over UDP and TCP on the same port.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/** How the responder answers. */
export type TinyDnsBehaviour = { rcode: number } | { txt: string; truncateUdp?: boolean } | { silent: true };

function questionEnd(query: Buffer): number {
  let offset = 12;
  while (query[offset] !== 0) offset += query[offset]! + 1;
  return offset + 1 + 4;
}

function respond(query: Buffer, behaviour: TinyDnsBehaviour, udp: boolean): Buffer | undefined {
  if ('silent' in behaviour) return undefined;
  const question = query.subarray(12, questionEnd(query));
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  let flags = 0x8180;
  let answer = Buffer.alloc(0);
  if ('rcode' in behaviour) flags |= behaviour.rcode;
  else if (udp && behaviour.truncateUdp === true) flags |= 0x0200;
  else {
    const text = Buffer.from(behaviour.txt);
    const rdata = Buffer.concat([Buffer.from([text.length]), text]);
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0);
    fixed.writeUInt16BE(16, 2);
    fixed.writeUInt16BE(1, 4);
    fixed.writeUInt32BE(60, 6);
    fixed.writeUInt16BE(rdata.length, 10);
    answer = Buffer.concat([fixed, rdata]);
  }
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answer.length > 0 ? 1 : 0, 6);
  return Buffer.concat([header, question, answer]);
}

/** Starts the responder on 127.0.0.1 (UDP and TCP on one free port); counts queries per transport. */
export async function startTinyDns(behaviour: TinyDnsBehaviour): Promise<{ server: string; udpQueries: number; tcpQueries: number; close(): Promise<void> }> {
  const tcp = createServer((socket) => {
    socket.on('data', (data) => {
      state.tcpQueries++;
      const reply = respond(data.subarray(2), behaviour, false);
      if (reply === undefined) return;
      const length = Buffer.alloc(2);
      length.writeUInt16BE(reply.length);
      socket.end(Buffer.concat([length, reply]));
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as AddressInfo).port;
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    state.udpQueries++;
    const reply = respond(msg, behaviour, true);
    if (reply !== undefined) udp.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve));
  const state = {
    server: `127.0.0.1:${port}`,
    udpQueries: 0,
    tcpQueries: 0,
    close: async () => {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
  return state;
}
