// A resolver outside the mesh for tests: answers the names given as JSON (name → [ip, ...]) with their A and AAAA
// records, NXDOMAIN for every other name, on UDP port 53 of every address given. Prints "ready" once bound.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

const [namesJson, ...hosts] = process.argv.slice(2);
const names = JSON.parse(namesJson ?? '{}');

function reply(msg) {
  const q = dnsPacket.decode(msg);
  const question = q.questions?.[0];
  const known = question ? names[question.name.toLowerCase()] : undefined;
  const family = question?.type === 'AAAA' ? ':' : '.';
  const answers = (known ?? []).filter((ip) => ip.includes(family) && (question.type === 'A' || question.type === 'AAAA'))
    .map((ip) => ({ name: question.name, type: question.type, ttl: 5, data: ip }));
  const flags = dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3);
  return dnsPacket.encode({ id: q.id, type: 'response', flags, questions: q.questions, answers });
}

let bound = 0;
for (const host of hosts) {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('message', (msg, rinfo) => {
    try {
      socket.send(reply(msg), rinfo.port, rinfo.address);
    } catch {
      // not a query we can read
    }
  });
  socket.bind(53, host, () => {
    bound += 1;
    if (bound === hosts.length) console.log('ready');
  });
}
