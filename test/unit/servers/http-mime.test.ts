import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MIME_TYPE, mimeTypeFor } from '../../../electron/engine/servers/http-mime';

test('boot media types follow EDK II HTTP boot; text for menus and answer files', () => {
  assert.equal(mimeTypeFor('/iso/ubuntu.iso'), 'application/vnd.efi-iso');
  assert.equal(mimeTypeFor('/iso/x/EFI/BOOT/BOOTX64.EFI'), 'application/efi');
  assert.equal(mimeTypeFor('/boot/disk.IMG'), 'application/vnd.efi-img');
  assert.match(mimeTypeFor('/iso/x/isolinux/isolinux.cfg'), /^text\/plain/);
  assert.match(mimeTypeFor('/iso/x/.treeinfo'), /^text\/plain/);
  assert.match(mimeTypeFor('/answers/ks.cfg'), /^text\/plain/);
  assert.match(mimeTypeFor('/iso/x/dists/bookworm/Release'), /^text\/plain/);
  assert.match(mimeTypeFor('/nocloud/user-data'), /^text\/plain/);
  assert.equal(mimeTypeFor('/iso/x/install.amd/vmlinuz'), DEFAULT_MIME_TYPE);
  assert.equal(mimeTypeFor('/iso/x/initrd.gz'), 'application/gzip');
  assert.equal(mimeTypeFor('/x/constructor'), DEFAULT_MIME_TYPE, 'no prototype lookups');
  assert.equal(mimeTypeFor('/x/a.toString'), DEFAULT_MIME_TYPE);
});
