/**
 * FieldBoot's TFTP server alone, for the benchmark: `node --import tsx bench/tftp/serve-fieldboot.ts
 * --bind 192.168.77.1 --port 69 --root DIR [--max-windowsize N] [--max-blksize N]`. Prints "ready" once bound.
 */
import { parseArgs } from 'node:util';
import { DirectorySource } from '../../electron/engine/files/directory-source';
import { NULL_SINK } from '../../electron/engine/log';
import { TftpServer } from '../../electron/engine/servers/tftp-server';

const { values } = parseArgs({
  options: {
    bind: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '69' },
    root: { type: 'string' },
    'max-windowsize': { type: 'string' },
    'max-blksize': { type: 'string' },
  },
});
if (!values.root) throw new Error('--root is required');
const server = new TftpServer(
  {
    bindAddress: values.bind,
    port: Number(values.port),
    source: new DirectorySource(values.root),
    ...(values['max-windowsize'] ? { maxWindowsize: Number(values['max-windowsize']) } : {}),
    ...(values['max-blksize'] ? { maxBlksize: Number(values['max-blksize']) } : {}),
  },
  { emit: () => {}, logSink: NULL_SINK },
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
