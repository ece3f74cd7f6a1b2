/**
 * FieldBoot's HTTP server alone, for the benchmark: `node --import tsx bench/http/serve-fieldboot.ts
 * --bind 192.168.77.1 --port 80 --iso IMAGE [--prefix /iso/bench/] [--chunk-kb 256] [--copy]`. Serves the
 * image's contents in place under the prefix, as the product does: bodies by sendfile(2) when the
 * fieldboot-sendfile addon is built, else copied; `--copy` forces the copy path (sendfile: false). Prints
 * the body path in use, then "ready" once bound.
 */
import { parseArgs } from 'node:util';
import { openIso } from '../../electron/engine/iso/iso-image';
import { HttpServer } from '../../electron/engine/servers/http-server';

const { values } = parseArgs({
  options: {
    bind: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '80' },
    iso: { type: 'string' },
    prefix: { type: 'string', default: '/iso/bench/' },
    'chunk-kb': { type: 'string' },
    copy: { type: 'boolean', default: false },
  },
});
if (!values.iso) throw new Error('--iso is required');
const image = await openIso(values.iso);
const server = new HttpServer(
  {
    bindAddress: values.bind,
    port: Number(values.port),
    mounts: [{ prefix: values.prefix, source: image.asFileSource() }],
    ...(values['chunk-kb'] ? { chunkBytes: Number(values['chunk-kb']) * 1024 } : {}),
    ...(values.copy ? { sendfile: false } : {}),
  },
  // The server says once which body path it uses; nothing else is printed while measuring.
  { emit: () => {}, logSink: (e) => void (/^file bodies/.test(e.message) && console.log(`body path: ${e.message}`)) },
);
server.start().then(
  () => console.log('ready'),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
const quit = () => void server.stop().then(() => image.close()).then(() => process.exit(0));
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
