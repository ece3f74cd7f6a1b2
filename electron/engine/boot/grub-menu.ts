/**
 * A BootMenu as a grub.cfg, for the Secure Boot path (the image's own signed shim and GRUB). Kernel and
 * initrd come over TFTP from GRUB's network root. Arguments are single-quoted: GRUB's parser treats ";"
 * (Ubuntu's "ds=nocloud-net;s=...") as a command separator otherwise. RHEL 8 and CentOS 7 GRUB builds want
 * linuxefi/initrdefi under Secure Boot; newer GRUBs take linux/initrd.
 */
import type { BootMenu } from './boot-menu';

function grubQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function wantsEfiCommands(family: string, version: string | null): boolean {
  const major = Number(/^(\d+)/.exec(version ?? '')?.[1] ?? NaN);
  return (['rhel', 'rocky', 'alma', 'centos'].includes(family) && major <= 8) || false;
}

export function renderGrubMenu(menu: BootMenu): string {
  const defaultIndex = Math.max(0, menu.entries.findIndex((e) => e.id === menu.defaultId));
  const lines = [`# ${menu.title}`, `set timeout=${menu.timeoutSec}`, `set default=${defaultIndex}`, ''];
  for (const e of menu.entries) {
    lines.push(`menuentry ${grubQuote(e.label)} --id ${e.id} {`);
    if (e.kind === 'install') {
      const efi = wantsEfiCommands(e.family, e.version);
      lines.push(
        `  echo ${grubQuote(`FieldBoot: loading ${e.kernel}`)}`,
        `  ${efi ? 'linuxefi' : 'linux'} ${e.kernel} ${e.args.map(grubQuote).join(' ')}`.trimEnd(),
        `  echo ${grubQuote(`FieldBoot: loading ${e.initrd}`)}`,
        `  ${efi ? 'initrdefi' : 'initrd'} ${e.initrd}`,
      );
    } else {
      // exit returns to the firmware's boot manager, which tries the next boot option.
      lines.push('  exit');
    }
    lines.push('}', '');
  }
  return lines.join('\n');
}

/**
 * The grub.cfg served at the paths signed network GRUBs read (their prefix is built in): it loads the
 * machine's own menu by MAC, and falls back to the generic (not armed) menu below.
 */
export function renderGrubChainConfig(perMacDir: string, fallback: BootMenu): string {
  return [
    '# FieldBoot: the menu for this machine, by MAC',
    'if [ -n "$net_default_mac" ]; then',
    `  configfile ${perMacDir}$net_default_mac.cfg`,
    'fi',
    renderGrubMenu(fallback),
  ].join('\n');
}
