/**
 * One measurement in a fresh process (so peak RSS is this operation's alone): prints one JSON line.
 * Usage: node --import tsx bench/iso/measure.ts noop|open|inspect|list ISO
 */
import { openIso } from '../../electron/engine/iso/iso-image';
import { inspectIso } from '../../electron/engine/iso/inspect-iso';
import { detectOs } from '../../electron/engine/iso/os-detect';

const [mode, iso] = process.argv.slice(2);
const t0 = performance.now();
let entries = 0;
if (mode === 'open' && iso) {
  // Open + OS detection only: what adding an image costs without the full tree check.
  const image = await openIso(iso);
  await detectOs(image);
  await image.close();
} else if (mode === 'inspect' && iso) {
  // What `fieldboot iso inspect` does: open, walk and check every directory, detect the OS.
  entries = (await inspectIso(iso)).fileCount ?? 0;
} else if (mode === 'list' && iso) {
  // Every path, like `xorriso -find /` and `bsdtar -tf`.
  const image = await openIso(iso);
  for await (const e of image.walk()) {
    entries++;
    void e.path;
  }
  await image.close();
}
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ mode, ms, entries, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
