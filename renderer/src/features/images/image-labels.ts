/** How an image's detected facts read on screen. */
import type { AnswerFormat, IsoSummary } from '../../../../shared/model/iso-summary';

const ANSWER_LABELS: Record<AnswerFormat, string> = {
  kickstart: 'Kickstart',
  preseed: 'Preseed',
  autoinstall: 'Autoinstall (cloud-init)',
};

export function answerFormatLabel(format: AnswerFormat | null): string {
  return format ? ANSWER_LABELS[format] : 'None known';
}

export function firmwareLabel(firmware: IsoSummary['firmware']): string {
  if (firmware.bios && firmware.uefi) return 'BIOS + UEFI';
  if (firmware.bios) return 'BIOS only';
  if (firmware.uefi) return 'UEFI only';
  return 'Not bootable from disc';
}

export function ramLabel(minRamMb: number | null): string | null {
  if (minRamMb === null) return null;
  return minRamMb >= 1024 ? `${Number((minRamMb / 1024).toFixed(1))} GB RAM` : `${minRamMb} MB RAM`;
}

/** "Rocky Linux 9.3", with the version added when the name does not already carry it. */
export function osTitle(summary: Pick<IsoSummary, 'name' | 'version'>): string {
  if (summary.version && !summary.name.includes(summary.version)) return `${summary.name} ${summary.version}`;
  return summary.name;
}

/** Files whose name says they are not disc images: worth a word before uploading gigabytes. */
export function looksLikeImage(fileName: string): boolean {
  return /\.(iso|img|udf)$/i.test(fileName);
}
