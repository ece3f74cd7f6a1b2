/**
 * A BootMenu as a pxelinux.cfg file (also read by syslinux.efi). Kernel and initrd come over TFTP: classic
 * pxelinux.0 speaks nothing else. menu.c32 draws the menu; TIMEOUT is in tenths of a second and boots
 * ONTIMEOUT, so an unattended machine goes on by itself.
 */
import type { BootMenu } from './boot-menu';

export function renderPxelinuxMenu(menu: BootMenu): string {
  const tenths = Math.max(1, menu.timeoutSec * 10);
  const lines = ['UI menu.c32', `MENU TITLE ${menu.title.replace(/[\r\n]/g, ' ')}`, 'PROMPT 0', `TIMEOUT ${tenths}`, `ONTIMEOUT ${menu.defaultId}`, `DEFAULT ${menu.defaultId}`, ''];
  for (const e of menu.entries) {
    lines.push(`LABEL ${e.id}`, `  MENU LABEL ${e.label.replace(/[\r\n]/g, ' ')}`);
    if (e.id === menu.defaultId) lines.push('  MENU DEFAULT');
    if (e.kind === 'install') {
      lines.push(`  KERNEL ${e.kernel}`, `  APPEND initrd=${e.initrd} ${e.args.join(' ')}`.trimEnd());
    } else {
      // LOCALBOOT 0: return to the BIOS, which boots the next device (the local disk).
      lines.push('  LOCALBOOT 0');
    }
    lines.push('');
  }
  return lines.join('\n');
}
