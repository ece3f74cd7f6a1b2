/**
 * FieldBoot's TFTP server alone, for the benchmark and the TFTP lab tests:
 * `node --import tsx bench/tftp/serve-fieldboot.ts --bind 192.168.77.1 --port 69 --root DIR
 *  [--max-windowsize N] [--max-blksize N] [--timeout-ms N] [--retries N] [--no-gso] [--events] [--log LEVEL]`.
 * Prints "ready" once bound; with --events, one JSON file event per line (start/end/error) on stdout; with
 * --log, log lines at that level and above on stderr.
 */
import { parseArgs } from 'node:util';
import { DirectorySource } from '../../electron/engine/files/directory-source';
import { NULL_SINK, type LogEntry } from '../../electron/engine/log';
import { TftpServer } from '../../electron/engine/servers/tftp-server';

const { values } = parseArgs({
  options: {
    bind: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '69' },
    root: { type: 'string' },
    'max-windowsize': { type: 'string' },
    'max-blksize': { type: 'string' },
    'timeout-ms': { type: 'string' },
    retries: { type: 'string' },
    'no-gso': { type: 'boolean', default: false },
    events: { type: 'boolean', default: false },
    log: { type: 'string' },
  },
});
if (!values.root) throw new Error('--root is required');
const LEVELS = ['debug', 'info', 'warn', 'error'];
const minLevel = values.log ? LEVELS.indexOf(values.log) : -1;
const server = new TftpServer(
  {
    bindAddress: values.bind,
    port: Number(values.port),
    source: new DirectorySource(values.root),
    ...(values['max-windowsize'] ? { maxWindowsize: Number(values['max-windowsize']) } : {}),
    ...(values['max-blksize'] ? { maxBlksize: Number(values['max-blksize']) } : {}),
    ...(values['timeout-ms'] ? { timeoutMs: Number(values['timeout-ms']) } : {}),
    ...(values.retries ? { retries: Number(values.retries) } : {}),
    ...(values['no-gso'] ? { udpGso: false } : {}),
  },
  {
    emit: (e) => {
      if (values.events && e.type === 'file' && e.action !== 'progress') console.log(JSON.stringify(e));
    },
    logSink:
      minLevel < 0
        ? NULL_SINK
        : (entry: LogEntry) => {
            if (LEVELS.indexOf(entry.level) >= minLevel) console.error(`${entry.level} ${entry.message}`);
          },
  },
);
server.start().then(
  () => console.log('ready'),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
const quit = () => void server.stop().then(() => process.exit(0));
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
