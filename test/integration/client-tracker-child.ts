/**
 * The process the client-progress test kills with SIGKILL: a ClientTracker on a state folder, behind a
 * real HttpServer with the progress endpoint on 127.0.0.1. Engine events the test plays (DHCP, TFTP)
 * arrive as JSON lines on stdin; each is answered on stdout once observe() resolved (saved).
 *
 *   node --import tsx test/integration/client-tracker-child.ts STATE_DIR
 *   stdout: {"type":"ready","port":N}  then {"type":"observed","n":K} per stdin line
 */
import { createInterface } from 'node:readline';
import { ClientTracker } from '../../electron/engine/clients/client-tracker';
import { progressEndpoint } from '../../electron/engine/clients/progress-endpoint';
import { createLog, type LogEntry } from '../../electron/engine/log';
import { HttpServer } from '../../electron/engine/servers/http-server';
import type { EngineEvent } from '../../shared/model/engine-event';

const stateDir = process.argv[2];
if (!stateDir) {
  process.stderr.write('usage: client-tracker-child.ts STATE_DIR\n');
  process.exit(2);
}
const sink = (e: LogEntry): void => {
  if (e.level === 'warn' || e.level === 'error') process.stderr.write(`${e.subsystem} ${e.level}: ${e.message}\n`);
};
const out = (v: unknown): void => void process.stdout.write(JSON.stringify(v) + '\n');
const tracker = ClientTracker.open(stateDir, createLog(sink, 'ENGINE'), { onArm: (e) => out({ type: 'event', event: e }) });
const http = new HttpServer(
  { bindAddress: '127.0.0.1', port: 0, mounts: [progressEndpoint((e) => tracker.observe(e))] },
  { emit: () => {}, logSink: sink },
);
await http.start();
out({ type: 'ready', port: http.services()[0]?.port });
let n = 0;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line) as { type: 'arm'; macs: string[]; oneShot: boolean } | EngineEvent;
  const k = ++n;
  const done = msg.type === 'arm' && 'macs' in msg ? tracker.arm(msg.macs, { oneShot: msg.oneShot }).then(() => {}) : tracker.observe(msg as EngineEvent);
  void done.then(() => out({ type: 'observed', n: k }));
});
