/**
 * A BootMenu as an iPXE script. Kernel and initrd come over HTTP (iPXE's strength: a 100 MB initrd in
 * seconds, where TFTP takes a minute). `initrd=<name>` on the kernel line lets an EFI-stub kernel find the
 * initrd iPXE registered under that name. When the iPXE build has no menu support, `menu` fails and the
 * script goes straight to the default entry, so an unattended install never waits on a missing feature.
 */
import type { BootMenu, InstallEntry } from './boot-menu';

/** iPXE expands ${...} in every command; a literal "$" cannot be escaped, so it is refused in arguments. */
function ipxeSafe(text: string): string {
  return text.replace(/\$\{/g, '$ {').replace(/[\r\n]/g, ' ');
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function renderIpxeMenu(menu: BootMenu, httpBase: string): string {
  const installs = menu.entries.filter((e): e is InstallEntry => e.kind === 'install');
  const lines = ['#!ipxe', `# ${ipxeSafe(menu.title)}`, `set fb-default ${menu.defaultId}`, ':start'];
  // iPXE reads `choose --timeout 0` as "wait forever": a zero timeout goes straight to the default instead.
  if (menu.timeoutSec === 0) lines.push('goto ${fb-default}');
  lines.push(`menu ${ipxeSafe(menu.title)} || goto \${fb-default}`);
  if (installs.length) lines.push('item --gap -- Install');
  for (const e of installs) lines.push(`item ${e.id} ${ipxeSafe(e.label)}`);
  lines.push('item --gap --', `item local Boot from local disk`);
  lines.push(`choose --default \${fb-default} --timeout ${menu.timeoutSec * 1000} fb-target || goto \${fb-default}`, 'goto ${fb-target}');
  for (const e of installs) {
    lines.push(
      `:${e.id}`,
      `echo FieldBoot: ${ipxeSafe(e.label)}`,
      `kernel ${httpBase}${e.kernel} initrd=${basename(e.initrd)} ${e.args.map(ipxeSafe).join(' ')}`.trimEnd() + ' || goto failed',
      `initrd ${httpBase}${e.initrd} || goto failed`,
      'boot || goto failed',
    );
  }
  lines.push(
    ':failed',
    'echo FieldBoot: that boot failed; back to the menu in 10 seconds',
    'set fb-default local',
    'sleep 10',
    'goto start',
    ':local',
    'echo FieldBoot: booting from local disk',
    // exit hands control back to the firmware, which tries the next boot device.
    'exit 0',
    '',
  );
  return lines.join('\n');
}

/**
 * The script every iPXE client gets first (by DHCP): it asks the server for its own menu by MAC, so the
 * per-machine decision is made when the menu is fetched, not when DHCP answered.
 */
export function renderIpxeChainScript(httpBase: string, menuPrefix: string): string {
  return [
    '#!ipxe',
    'echo FieldBoot: ${net0/mac} (${platform} ${buildarch})',
    `chain --autofree ${httpBase}${menuPrefix}\${platform}/\${buildarch}/\${net0/mac:hexhyp}.ipxe || goto local`,
    ':local',
    'echo FieldBoot: no menu from the server, booting from local disk',
    'exit 0',
    '',
  ].join('\n');
}
