/**
 * Finding the one disk to install on, on the machine itself, at install time. Kickstart and preseed
 * cannot say "the smallest disk" or "the disk with serial X", so both run this POSIX sh script
 * (bash in anaconda's %pre, busybox ash in the Debian installer) and feed the name it prints into
 * `ignoredisk --only-use=` / `partman-auto/disk`. It reads only sysfs and /dev/disk/by-id, which both
 * installers have (no lsblk in the Debian installer).
 *
 * Safety: loop, RAM, optical, floppy, zram, device-mapper, md and nbd devices are never candidates;
 * read-only and (unless allowed) removable disks are skipped. When nothing matches, the script prints a
 * reason on stderr and exits 1, and the caller stops the install before anything is written.
 * Several matches: the smallest wins (the largest for select=largest), so the choice is repeatable.
 * Sizes are compared in MiB computed with shell arithmetic, which is 64-bit in bash and in Debian's
 * busybox ash.
 */
import type { DiskChoice } from './profile';

/** Bytes per GB in the profile: decimal, as disks are labelled. */
const GB = 1e9;
const MIB = 1024 * 1024;

export function gbToMib(gb: number): number {
  return Math.floor((gb * GB) / MIB);
}

/** Strip the 0x / naa. / eui. prefix and lower-case: sysfs and by-id spell WWNs differently. */
export function normalizeWwn(wwn: string): string {
  return wwn.toLowerCase().replace(/^(0x|naa\.|eui\.)/, '');
}

/** One line for comments and the UI: "the smallest non-removable disk of at least 100 GB". */
export function describeDisk(d: DiskChoice): string {
  const what =
    d.select === 'smallest' ? 'the smallest disk'
    : d.select === 'largest' ? 'the largest disk'
    : d.select === 'model' ? `the smallest disk whose model contains "${d.model ?? ''}"`
    : d.select === 'serial' ? `the disk with serial ${d.serial ?? ''}`
    : d.select === 'wwn' ? `the disk with WWN ${d.wwn ?? ''}`
    : `the disk /dev/${d.device ?? ''}`;
  const size = [d.minGb !== undefined ? `at least ${d.minGb} GB` : '', d.maxGb !== undefined ? `at most ${d.maxGb} GB` : ''].filter(Boolean).join(' and ');
  return `${what}${size ? ` of ${size}` : ''}${d.allowRemovable ? '' : ', not removable'}`;
}

/**
 * The script, as lines. Prints the kernel name of the chosen disk (sda, nvme0n1) on stdout.
 * Values come from a validated profile (no quotes or shell metacharacters), so double quotes suffice.
 */
export function diskSelectScript(d: DiskChoice): string[] {
  const checks: string[] = [];
  if (!d.allowRemovable) checks.push('  [ "$(cat "$b/removable" 2>/dev/null)" = 1 ] && continue');
  if (d.minGb !== undefined) checks.push(`  [ "$mib" -ge ${gbToMib(d.minGb)} ] || continue`);
  if (d.maxGb !== undefined) checks.push(`  [ "$mib" -le ${gbToMib(d.maxGb)} ] || continue`);
  switch (d.select) {
    case 'model':
      checks.push(
        '  model=$(cat "$b/device/model" 2>/dev/null | tr "A-Z" "a-z")',
        `  case "$model" in *"${(d.model ?? '').toLowerCase()}"*) ;; *) continue ;; esac`,
      );
      break;
    case 'serial':
      checks.push(
        '  ok=',
        `  [ "$(cat "$b/device/serial" 2>/dev/null | tr -d " ")" = "${d.serial ?? ''}" ] && ok=1`,
        '  for l in "$D"/disk/by-id/*; do',
        `    case "\${l##*/}" in *[_-]"${d.serial ?? ''}") [ "$(readlink -f "$l")" = "$D/$n" ] && ok=1 ;; esac`,
        '  done',
        '  [ -n "$ok" ] || continue',
      );
      break;
    case 'wwn': {
      const w = normalizeWwn(d.wwn ?? '');
      checks.push(
        '  ok=',
        `  case "$(cat "$b/wwid" "$b/device/wwid" 2>/dev/null | tr "A-Z" "a-z")" in *"${w}"*) ok=1 ;; esac`,
        `  [ "$(readlink -f "$D/disk/by-id/wwn-0x${w}" 2>/dev/null)" = "$D/$n" ] && ok=1`,
        '  [ -n "$ok" ] || continue',
      );
      break;
    }
    case 'device':
      checks.push(`  [ "$n" = "${d.device ?? ''}" ] || continue`);
      break;
    case 'smallest':
    case 'largest':
      break;
  }
  const better = d.select === 'largest' ? '-gt' : '-lt';
  return [
    `# FieldBoot disk choice: ${describeDisk(d)}.`,
    '# Roots are variables only so tests can run this over a fake sysfs.',
    'S=${FIELDBOOT_SYSFS:-/sys}',
    'D=${FIELDBOOT_DEV:-/dev}',
    'best=',
    'bestmib=',
    'for b in "$S"/block/*; do',
    '  n=${b##*/}',
    '  case "$n" in loop*|ram*|sr*|fd*|zram*|dm-*|md*|nbd*|mtdblock*) continue ;; esac',
    '  [ -r "$b/size" ] || continue',
    '  [ "$(cat "$b/ro" 2>/dev/null)" = 1 ] && continue',
    '  mib=$(( $(cat "$b/size") / 2048 ))',
    '  [ "$mib" -gt 0 ] || continue',
    ...checks,
    `  if [ -z "$best" ] || [ "$mib" ${better} "$bestmib" ]; then best=$n; bestmib=$mib; fi`,
    'done',
    'if [ -z "$best" ]; then',
    `  echo "FieldBoot: no disk matches: ${describeDisk(d)}" >&2`,
    '  exit 1',
    'fi',
    'echo "$best"',
  ];
}
