/**
 * `fieldboot iso inspect FILE [--json]`: what an image is and how it network-boots.
 * Exit codes: 0 inspected, 2 bad usage, 3 unreadable or not an ISO (one line on stderr says why).
 */
import { parseArgs } from 'node:util';
import type { IsoSummary } from '../../../shared/model/iso-summary';
import { IsoError } from '../iso/iso-errors';
import { inspectIso } from '../iso/inspect-iso';

export const IsoExitCode = { Ok: 0, BadUsage: 2, Unreadable: 3 } as const;

const USAGE = 'usage: fieldboot iso inspect FILE [--json]';

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function formatSummary(s: IsoSummary): string {
  const rows: [string, string][] = [
    ['Image', `${s.path} (${formatBytes(s.sizeBytes)})`],
    ['Volume id', s.volumeId || '-'],
    ['Filesystem', s.filesystem],
    ['OS', `${s.name || '-'} [${s.family}]`],
    ['Version', s.version ?? '-'],
    ['Architecture', s.arches.length > 1 ? `${s.arch ?? '-'} (all: ${s.arches.join(', ')})` : (s.arch ?? '-')],
    ['Variant', s.variant ?? '-'],
    ['Kernel', s.kernel ?? '-'],
    ['Initrd', s.initrd ?? '-'],
    ['Install tree', s.installTreeRoot ?? '-'],
    ['Answer file', s.answerFormat ?? '-'],
    ['Kernel args', s.kernelArgsTemplate ?? '-'],
    ['Files', s.fileCount === null ? '-' : String(s.fileCount)],
    ['Min RAM', s.minRamMb ? `${s.minRamMb} MB` : '-'],
    ['Firmware', [s.firmware.bios ? 'BIOS' : '', s.firmware.uefi ? 'UEFI' : ''].filter(Boolean).join(' + ') || 'not bootable'],
  ];
  for (const b of s.bootFiles.slice(1)) rows.push([`Boot (${b.arch})`, `${b.kernel} ${b.initrd}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  let out = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
  for (const w of s.warnings) out += `warning: ${w}\n`;
  for (const n of s.notes) out += `note: ${n}\n`;
  return out;
}


export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: { json: { type: 'boolean' }; help: { type: 'boolean'; short: 'h' } }; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (err) {
    process.stderr.write(`fieldboot: ${(err as Error).message}\n${USAGE}\n`);
    return IsoExitCode.BadUsage;
  }
  const [sub, file, ...extra] = parsed.positionals;
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return IsoExitCode.Ok;
  }
  if (sub !== 'inspect' || !file || extra.length) {
    process.stderr.write(`fieldboot: ${sub && sub !== 'inspect' ? `unknown iso command "${sub}"` : !file ? 'iso inspect needs a FILE' : `unexpected argument "${extra[0]}"`}\n${USAGE}\n`);
    return IsoExitCode.BadUsage;
  }
  let summary: IsoSummary;
  try {
    summary = await inspectIso(file);
  } catch (err) {
    const msg = err instanceof IsoError ? err.message : `cannot read ${file}: ${(err as Error)?.message ?? String(err)}`;
    process.stderr.write(`fieldboot: ${msg.replace(/\s*\n\s*/g, ' ')}\n`);
    return IsoExitCode.Unreadable;
  }
  process.stdout.write(parsed.values.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
  return IsoExitCode.Ok;
}
