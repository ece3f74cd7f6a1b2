/**
 * Plain-words reasons and hints for the client view: what went wrong with a machine, then what to do.
 * Pure; the tracker stores the result in the record's `problem` so the report carries it too.
 */
import type { FileRole } from '../model/engine-event';
import type { ReachedStage } from '../model/client-record';
import { CLIENT_STAGE_LABELS } from './client-stages';

export interface ClientProblemText {
  reason: string;
  hint: string;
}

const ROLE_WORDS: Record<FileRole, string> = {
  loader: 'the boot loader',
  menu: 'the boot menu',
  kernel: 'the kernel',
  initrd: 'the initrd',
  stage2: "the installer's second stage",
  iso: 'the ISO',
  answer: 'the answer file',
  'repo-metadata': 'the package list',
  package: 'a package',
  other: 'a file',
};

/** "TFTP transfer of the initrd failed: timed out after 6 retransmissions" and what to try. */
export function transferFailure(protocol: 'tftp' | 'http' | 'ftp', role: FileRole | undefined, path: string, error: string | undefined): ClientProblemText {
  const what = role ? ROLE_WORDS[role] : path;
  const reason = `${protocol.toUpperCase()} transfer of ${what} failed${error ? `: ${error}` : ''}`;
  const e = (error ?? '').toLowerCase();
  let hint: string;
  if (/not found|no such file|enoent|404/.test(e)) {
    hint = `${path} is not being served. Check that its image is still in the library and its ISO file is readable, then reboot the machine.`;
  } else if (/timed out|timeout/.test(e)) {
    hint = 'The machine stopped answering mid-transfer. Check its cable and switch port; if it keeps happening over TFTP, boot it through iPXE so the big files go over HTTP.';
  } else if (/client sent error|aborted|reset|epipe|closed/.test(e)) {
    hint = 'The machine gave up on the transfer. Some firmware cannot take a large file over TFTP; booting through iPXE (HTTP) avoids it. Reboot the machine to try again.';
  } else if (/read error|eio|permission|eacces/.test(e)) {
    hint = 'FieldBoot could not read the file from disk. Check that the drive holding the ISO is still attached.';
  } else {
    hint = 'Reboot the machine to try again; if it fails the same way, look at the event log below for the server side of the story.';
  }
  return { reason, hint };
}

/** The installer itself said it failed (kickstart %onerror, autoinstall error-commands, preseed's disk check). */
export function installerFailure(message: string | undefined): ClientProblemText {
  return {
    reason: `the installer reported a failure${message ? `: ${message}` : ''}`,
    hint: "Look at the machine's console for the installer's own error. Fix the profile or the hardware, then arm the machine and reboot it to install again.",
  };
}

const STALL_HINTS: Record<ReachedStage, string> = {
  discovered:
    'It asked for an address but never took one. In full DHCP mode check that the range has free addresses; in proxy mode check that the network\'s own DHCP server answers it.',
  address: 'It has an address but never fetched a boot loader. A firewall may block TFTP (UDP 69), or Secure Boot refused the loader.',
  loader: 'The boot loader ran but never fetched a kernel. The machine may be waiting at the menu on its console, or booted from its local disk.',
  kernel: 'The kernel was sent but the initrd never followed. Look at the machine\'s console: the loader may have stopped with an error.',
  initrd: 'The kernel and initrd were sent but the installer never called back. Look at the console: it may be stuck finding a network card or asking a question.',
  'installer-started': 'The installer started but never fetched its answer file. Check its console: it may be asking which network interface to use.',
  'answer-fetched': 'The answer file was fetched but no install progress followed. The installer may be waiting at a question the answer file does not answer; check its console.',
  installing: 'No progress reported for a long time. Check the console; the installer may be waiting for a package source or a disk.',
  'post-install': 'Post-install steps have run for a long time. Check the console; a script may be waiting for the network or a prompt.',
  finished: '',
  'first-boot': '',
};

export function stallProblem(stage: ReachedStage, silentMs: number): ClientProblemText {
  const minutes = Math.max(1, Math.round(silentMs / 60_000));
  return {
    reason: `nothing heard for ${minutes} min at ${CLIENT_STAGE_LABELS[stage].toLowerCase()}`,
    hint: STALL_HINTS[stage] || 'Check the machine\'s console.',
  };
}
