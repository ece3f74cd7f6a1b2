/**
 * The disk-choice script runs on the machine; here it runs over a fake sysfs and /dev under both shells
 * it meets in the field: bash (anaconda %pre, subiquity) and busybox ash (the Debian installer).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDisk, diskSelectScript, gbToMib, normalizeWwn } from '../../../shared/answer/disk-select';
import type { DiskChoice } from '../../../shared/answer/profile';

let root = '';
const GB = 1e9;

interface FakeDisk {
  name: string;
  bytes: number;
  model?: string;
  serial?: string;
  wwid?: string;
  removable?: boolean;
  ro?: boolean;
  byId?: string[];
}

const DISKS: FakeDisk[] = [
  { name: 'sda', bytes: 480 * GB, model: 'Samsung SSD 860  ', byId: ['ata-Samsung_SSD_860_S3Z9NB0K123456', 'wwn-0x5002538e40a1b2c3'], wwid: 'naa.5002538e40a1b2c3' },
  { name: 'sdb', bytes: 4000 * GB, model: 'ST4000NM0035    ', byId: ['ata-ST4000NM0035_ZC1ABCDE'] },
  { name: 'nvme0n1', bytes: 960 * GB, model: 'INTEL SSDPE2KX010T8', serial: 'PHLJ1234001A1P0FGN  ', wwid: 'eui.0100000000000000' },
  { name: 'sdc', bytes: 32 * GB, model: 'Ultra USB 3.0', removable: true },
  { name: 'sdd', bytes: 120 * GB, model: 'Virtual CD', ro: true },
  { name: 'loop0', bytes: 2 * GB },
  { name: 'sr0', bytes: 1 * GB },
  { name: 'dm-0', bytes: 100 * GB },
];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'fieldboot-disk-'));
  for (const d of DISKS) {
    const b = join(root, 'sys', 'block', d.name);
    mkdirSync(join(b, 'device'), { recursive: true });
    writeFileSync(join(b, 'size'), `${Math.floor(d.bytes / 512)}\n`);
    writeFileSync(join(b, 'ro'), d.ro ? '1\n' : '0\n');
    writeFileSync(join(b, 'removable'), d.removable ? '1\n' : '0\n');
    if (d.model) writeFileSync(join(b, 'device', 'model'), `${d.model}\n`);
    if (d.serial) writeFileSync(join(b, 'device', 'serial'), `${d.serial}\n`);
    if (d.wwid) writeFileSync(join(b, 'wwid'), `${d.wwid}\n`);
    mkdirSync(join(root, 'dev', 'disk', 'by-id'), { recursive: true });
    writeFileSync(join(root, 'dev', d.name), '');
    for (const id of d.byId ?? []) symlinkSync(`../../${d.name}`, join(root, 'dev', 'disk', 'by-id', id));
  }
});

after(() => rmSync(root, { recursive: true, force: true }));

const SHELLS: Array<[string, string[]]> = [
  ['bash', ['bash', '--norc', '--noprofile']],
  ['busybox ash', ['busybox', 'sh']],
];

function pick(choice: Partial<DiskChoice> & Pick<DiskChoice, 'select'>, shell: string[]): { status: number | null; out: string; err: string } {
  const script = diskSelectScript({ allowRemovable: false, ...choice }).join('\n');
  const [cmd, ...args] = shell as [string, ...string[]];
  const r = spawnSync(cmd, [...args, '-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, FIELDBOOT_SYSFS: join(root, 'sys'), FIELDBOOT_DEV: join(root, 'dev') } });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

const CASES: Array<[string, Partial<DiskChoice> & Pick<DiskChoice, 'select'>, string | null]> = [
  ['smallest skips removable, read-only, loop, optical and dm', { select: 'smallest' }, 'sda'],
  ['smallest with removable allowed', { select: 'smallest', allowRemovable: true }, 'sdc'],
  ['largest', { select: 'largest' }, 'sdb'],
  ['largest of at most 2000 GB', { select: 'largest', maxGb: 2000 }, 'nvme0n1'],
  ['smallest of at least 500 GB', { select: 'smallest', minGb: 500 }, 'nvme0n1'],
  ['model substring, any case', { select: 'model', model: 'st4000' }, 'sdb'],
  ['model with spaces', { select: 'model', model: 'Samsung SSD' }, 'sda'],
  ['serial from /dev/disk/by-id', { select: 'serial', serial: 'S3Z9NB0K123456' }, 'sda'],
  ['serial from sysfs (NVMe)', { select: 'serial', serial: 'PHLJ1234001A1P0FGN' }, 'nvme0n1'],
  ['wwn from sysfs wwid, 0x form', { select: 'wwn', wwn: '0x5002538E40A1B2C3' }, 'sda'],
  ['wwn in eui form', { select: 'wwn', wwn: 'eui.0100000000000000' }, 'nvme0n1'],
  ['device name', { select: 'device', device: 'sdb' }, 'sdb'],
  ['device name of a removable disk is still refused', { select: 'device', device: 'sdc' }, null],
  ['nothing matches the model', { select: 'model', model: 'NoSuchDisk' }, null],
  ['serial exists but the size bound excludes it', { select: 'serial', serial: 'S3Z9NB0K123456', minGb: 1000 }, null],
  ['a partial serial does not match', { select: 'serial', serial: 'K123456' }, null],
];

for (const [label, shell] of SHELLS) {
  for (const [name, choice, expected] of CASES) {
    test(`${label}: ${name}`, (t) => {
      if (spawnSync(shell[0] as string, [...shell.slice(1), '-c', 'true']).status !== 0) return t.skip(`${label} not installed`);
      const r = pick(choice, shell);
      if (expected === null) {
        assert.equal(r.status, 1, r.out);
        assert.equal(r.out, '');
        assert.match(r.err, /^FieldBoot: no disk matches: /);
      } else {
        assert.equal(r.status, 0, r.err);
        assert.equal(r.out, expected);
      }
    });
  }
}

test('sizes, WWN spellings and descriptions', () => {
  assert.equal(gbToMib(100), 95367);
  assert.equal(normalizeWwn('0x5000C500A1B2C3D4'), '5000c500a1b2c3d4');
  assert.equal(normalizeWwn('naa.5000c500a1b2c3d4'), '5000c500a1b2c3d4');
  assert.equal(describeDisk({ select: 'largest', minGb: 100, maxGb: 2000, allowRemovable: false }), 'the largest disk of at least 100 GB and at most 2000 GB, not removable');
});
