/**
 * resources/boot/MANIFEST.txt (written by scripts/refresh-boot-loaders.sh) must describe the shipped loaders
 * exactly: a loader edited, truncated or swapped without re-running the script fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BOOT = fileURLToPath(new URL('../../../resources/boot/', import.meta.url));

interface ManifestEntry {
  file: string;
  size: number;
  sha256: string;
  pkg: string;
  version: string;
}

function parseManifest(text: string): ManifestEntry[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l, i) => {
      const [file, size, sha256, pkg, version, ...extra] = l.split(/\s+/);
      assert.ok(file && size && sha256 && pkg && version && extra.length === 0, `MANIFEST line ${i + 1} malformed: ${l}`);
      assert.match(size, /^\d+$/);
      assert.match(sha256, /^[0-9a-f]{64}$/);
      return { file, size: Number(size), sha256, pkg, version };
    });
}

const entries = parseManifest(readFileSync(join(BOOT, 'MANIFEST.txt'), 'utf8'));

test('MANIFEST lists every loader FieldBoot hands out, each from its Debian package', () => {
  const byFile = new Map(entries.map((e) => [e.file, e]));
  const expected: Record<string, string> = {
    'undionly.kpxe': 'ipxe',
    'ipxe.efi': 'ipxe',
    'snponly.efi': 'ipxe',
    'pxelinux.0': 'pxelinux',
    'ldlinux.c32': 'syslinux-common',
    'libcom32.c32': 'syslinux-common',
    'libutil.c32': 'syslinux-common',
    'menu.c32': 'syslinux-common',
    'vesamenu.c32': 'syslinux-common',
    'efi64/syslinux.efi': 'syslinux-efi',
    'efi64/ldlinux.e64': 'syslinux-common',
  };
  for (const [file, pkg] of Object.entries(expected)) {
    assert.equal(byFile.get(file)?.pkg, pkg, `${file} listed, from ${pkg}`);
  }
  assert.equal(byFile.size, entries.length, 'no file listed twice');
});

for (const e of entries) {
  test(`${e.file}: size and sha256 match MANIFEST`, () => {
    const p = join(BOOT, e.file);
    assert.ok(existsSync(p), `${p} exists`);
    assert.equal(statSync(p).size, e.size);
    assert.equal(createHash('sha256').update(readFileSync(p)).digest('hex'), e.sha256);
  });
}
