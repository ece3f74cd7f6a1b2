/**
 * bench/http only, NOT FieldBoot's server: the ceiling a Node process reaches with sendfile(2). Headers
 * through node:http, the body of one ISO file sent from the image's descriptor by sendfile-prototype.c
 * (compiled by http-bench.ts with --sendfile-prototype). GET with or without one byte range, one path.
 *
 *   node --import tsx bench/http/serve-sendfile-prototype.ts --addon X.node --iso IMAGE --file /images/big.img
 *        --bind 192.168.77.1 --port 8082 --url-path /iso/bench/images/big.img
 */
import { openSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { openIso } from '../../electron/engine/iso/iso-image';
import { parseRange } from '../../electron/engine/servers/http-range';

const { values } = parseArgs({
  options: {
    addon: { type: 'string' },
    iso: { type: 'string' },
    file: { type: 'string' },
    bind: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8082' },
    'url-path': { type: 'string' },
  },
});
if (!values.addon || !values.iso || !values.file || !values['url-path']) throw new Error('--addon, --iso, --file and --url-path are required');
const { sendfile } = createRequire(import.meta.url)(values.addon) as { sendfile(out: number, inp: number, offset: number, length: number): Promise<number> };
const image = await openIso(values.iso);
const extents = (await image.extents(values.file)) ?? [];
const only = extents[0];
if (extents.length !== 1 || !only || only.zero) throw new Error(`${values.file}: the prototype needs one data extent, found ${extents.length}`);
const size = only.length;
const fd = openSync(values.iso, 'r');

createServer({ noDelay: true }, (req, res) => {
  if (req.url !== values['url-path']) return void res.writeHead(404, { 'Content-Length': '0' }).end();
  const range = parseRange(req.headers.range, size);
  const [start, end] = range.kind === 'single' ? [range.start, range.end] : [0, size - 1];
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(end - start + 1) };
  if (range.kind === 'single') headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range.kind === 'single' ? 206 : 200, headers);
  res.flushHeaders();
  const socket = req.socket as typeof req.socket & { _handle?: { fd?: number } };
  const go = () => {
    const sockFd = socket._handle?.fd ?? -1;
    void sendfile(sockFd, fd, only.position + start, end - start + 1).then((n) => (n < 0 ? socket.destroy() : res.end()));
  };
  // The header bytes must be on the wire before the body.
  if (socket.writableLength === 0) go();
  else socket.once('drain', go);
}).listen(Number(values.port), values.bind, () => console.log('ready'));
