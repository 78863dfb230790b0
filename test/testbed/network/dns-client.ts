// A one-shot DNS client for tests: asks a given server (the twin's) over UDP and returns the
// response code with it, which Node's resolver hides behind error codes.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface DnsReply {
  rcode: string;
  /** A record addresses in answer order. */
  addresses: string[];
  answers: dnsPacket.Answer[];
}

export async function queryDns(
  server: { host: string; port: number },
  name: string,
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT' = 'A',
  timeoutMs = 1000,
): Promise<DnsReply> {
  const socket = dgram.createSocket('udp4');
  const id = Math.floor(Math.random() * 65535);
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
  });
  try {
    return await new Promise<DnsReply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`DNS query for ${name} timed out`)), timeoutMs);
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on('message', (msg) => {
        const reply = dnsPacket.decode(msg);
        if (reply.id !== id) return;
        clearTimeout(timer);
        const answers = reply.answers ?? [];
        resolve({
          // dns-packet decodes the rcode but its type definitions leave it out.
          rcode: (reply as dnsPacket.DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR',
          addresses: answers.flatMap((a) => (a.type === 'A' ? [a.data] : [])),
          answers,
        });
      });
      socket.send(query, server.port, server.host);
    });
  } finally {
    socket.close();
  }
}
