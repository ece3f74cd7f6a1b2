/**
 * FieldBoot's full-mode DHCP server alone, for the benchmark:
 *
 *   node --import tsx bench/dhcp/serve-fieldboot.ts --interface pdhs0 --server-ip 10.77.0.1 --prefix 16 \
 *        --range 10.77.1.0-10.77.250.0 --state-dir DIR
 *
 * Same code path as `fieldboot serve --dhcp full` (one-interface sockets, boot policy, lease store with fsync),
 * minus the event printing: events are counted, logs dropped. Prints "ready" once bound; on SIGTERM stops
 * (flushing the lease store) and prints one JSON line of counts.
 */
import { parseArgs } from 'node:util';
import { parseRange } from '../../shared/net/ipv4';
import { decideBoot } from '../../electron/engine/boot/boot-policy';
import { NULL_SINK } from '../../electron/engine/log';
import { DhcpServer } from '../../electron/engine/servers/dhcp-server';

const { values } = parseArgs({
  options: {
    interface: { type: 'string' },
    'server-ip': { type: 'string' },
    prefix: { type: 'string', default: '16' },
    range: { type: 'string' },
    'state-dir': { type: 'string' },
    'lease-time': { type: 'string', default: '3600' },
  },
});
const range = values.range ? parseRange(values.range) : null;
if (!values.interface || !values['server-ip'] || !range || !values['state-dir']) {
  throw new Error('usage: serve-fieldboot.ts --interface IF --server-ip IP --prefix N --range FIRST-LAST --state-dir DIR');
}
const serverIp = values['server-ip'];
const counts: Record<string, number> = {};
const server = new DhcpServer(
  {
    interfaceName: values.interface,
    serverIp,
    prefix: Number(values.prefix),
    mode: 'full',
    range,
    stateDir: values['state-dir'],
    leaseTimeSec: Number(values['lease-time']),
    boot: (facts) => decideBoot(facts, { serverIp, httpPort: 80, biosBootFile: 'undionly.kpxe', efiX64BootFile: 'ipxe.efi' }),
  },
  {
    emit: (e) => {
      const k = e.type === 'lease' ? `lease.${e.action}` : e.type;
      counts[k] = (counts[k] ?? 0) + 1;
    },
    logSink: NULL_SINK,
  },
);
server.start().then(
  () => console.log('ready'),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
const quit = () =>
  void server.stop().then(() => {
    console.log(JSON.stringify(counts));
    process.exit(0);
  });
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
