// A small authoritative DNS server over UDP on loopback. It answers A queries (CNAME chains
// included) from a view the network twin keeps current; other types get NODATA when the
// name exists and NXDOMAIN otherwise. No recursion: names outside the view are NXDOMAIN.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { nameExists, resolveA, type DnsView } from './zones.js';

export interface DnsServerOptions {
  host?: string;
  /** 0 (the default) lets the OS choose a free port. */
  port?: number;
  /** Caps answer TTLs (seconds) so clients do not cache across test steps; default 0. */
  maxTtl?: number;
}

export interface DnsServer {
  host: string;
  port: number;
  /** Queries answered since start. */
  readonly queries: number;
  close(): Promise<void>;
}

const NXDOMAIN = 3;

export async function startDnsServer(view: () => DnsView, opts: DnsServerOptions = {}): Promise<DnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const maxTtl = opts.maxTtl ?? 0;
  const socket = dgram.createSocket('udp4');
  let queries = 0;
  socket.on('message', (msg, rinfo) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return; // not DNS: drop, as a real server would
    }
    queries++;
    const response = answer(view(), query, maxTtl);
    socket.send(response, rinfo.port, rinfo.address);
  });
  // A send error (the client went away) must not take the process down.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port: opts.port ?? 0, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const port = socket.address().port;
  return {
    host,
    port,
    get queries() {
      return queries;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function answer(view: DnsView, query: dnsPacket.DecodedPacket, maxTtl: number): Buffer {
  const questions = query.questions ?? [];
  const answers: dnsPacket.Answer[] = [];
  let rcode = 0;
  for (const q of questions) {
    if (q.type === 'A' || q.type === 'CNAME') {
      const result = resolveA(view, q.name, maxTtl);
      if (result.rcode === 'NXDOMAIN') rcode = NXDOMAIN;
      for (const a of result.answers) {
        if (q.type === 'CNAME' && a.type !== 'CNAME') continue;
        answers.push({ name: a.name, type: a.type, class: 'IN', ttl: a.ttl, data: a.data });
      }
    } else if (!nameExists(view, q.name)) {
      rcode = NXDOMAIN;
    }
  }
  // Recursion desired is echoed back; recursion available is not claimed.
  const flags = dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | rcode;
  return dnsPacket.encode({ id: query.id, type: 'response', flags, questions, answers });
}
