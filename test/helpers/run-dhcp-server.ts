/**
 * Runs one DhcpServer in this process (for lab tests that start it inside a network namespace):
 *
 *   ip netns exec NS node --import tsx test/helpers/run-dhcp-server.ts '<json>'
 *
 * The JSON is DhcpServerOptions without `boot`, with `range` as "FIRST-LAST" and an optional `bootPolicy`
 * (BootPolicyConfig; default: BIOS undionly.kpxe / UEFI ipxe.efi from serverIp). Every ctx.emit event is one
 * JSON line on stdout, starting with a `ready` event once listening; logs go to stderr (debug with
 * FIELDBOOT_DEBUG=1). SIGTERM/SIGINT stop the server cleanly; exit code 1 with the error as JSON on failure.
 */
import { toErrorInfo } from '../../shared/errors';
import { nowIso, type EngineEvent } from '../../shared/model/engine-event';
import { formatIpv4, parseRange } from '../../shared/net/ipv4';
import { decideBoot, type BootPolicyConfig } from '../../electron/engine/boot/boot-policy';
import { DhcpServer, type DhcpServerOptions } from '../../electron/engine/servers/dhcp-server';

type RunnerOptions = Omit<DhcpServerOptions, 'boot' | 'range'> & { range?: string; bootPolicy?: BootPolicyConfig };

const out = (e: EngineEvent | Record<string, unknown>) => process.stdout.write(JSON.stringify(e) + '\n');
const debug = process.env.FIELDBOOT_DEBUG === '1';

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (!arg) throw new Error('usage: run-dhcp-server.ts <json options>');
  const o = JSON.parse(arg) as RunnerOptions;
  const range = o.range ? parseRange(o.range) : null;
  if (o.range && !range) throw new Error(`bad range ${o.range}`);
  const policy: BootPolicyConfig = o.bootPolicy ?? {
    serverIp: o.serverIp,
    httpPort: 80,
    biosBootFile: 'undionly.kpxe',
    efiX64BootFile: 'ipxe.efi',
  };
  const { bootPolicy: _bp, range: _r, ...rest } = o;
  const server = new DhcpServer(
    { ...rest, ...(range ? { range } : {}), boot: (facts) => decideBoot(facts, policy) },
    {
      emit: out,
      logSink: (l) => {
        if (l.level !== 'debug' || debug) process.stderr.write(JSON.stringify(l) + '\n');
      },
    },
  );
  await server.start();
  out({
    type: 'ready',
    time: nowIso(),
    interface: o.interfaceName,
    serverIp: o.serverIp,
    prefix: o.prefix,
    dhcpMode: o.mode,
    range: range ? `${formatIpv4(range.first)}-${formatIpv4(range.last)}` : null,
    services: server.services(),
  });
  const stop = () => {
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  out({ type: 'error', time: nowIso(), subsystem: 'DHCP', error: toErrorInfo(err) });
  process.exit(1);
});
