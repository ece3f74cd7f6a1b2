/**
 * iPXE scripts the engine generates. Pure text builders; the session serves them as files.
 */

export interface LocalBootScriptOptions {
  /** A second-stage loader to chain (e.g. the seed tree's pxelinux.0), or null to boot the local disk. */
  chainFile: string | null;
}

/**
 * What an iPXE client gets while no install is armed for it: chain the tree's loader, or give up on the
 * network so the firmware moves on to the local disk (`exit` returns to the BIOS/UEFI boot order).
 */
export function renderLocalBootScript(opts: LocalBootScriptOptions): string {
  const lines = ['#!ipxe', 'echo FieldBoot: ${net0/mac} (${platform} ${buildarch})'];
  if (opts.chainFile) {
    lines.push(`chain ${opts.chainFile} || goto local`);
  }
  lines.push(':local', 'echo FieldBoot: nothing armed for this machine, booting from local disk', 'exit 0', '');
  return lines.join('\n');
}
