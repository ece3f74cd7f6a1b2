/**
 * The installer → FieldBoot progress callback contract. Every generated answer file calls it; the HTTP
 * endpoint that receives it comes with the boot-flow issue and must accept all three shapes:
 *
 * 1. POST {url}  Content-Type: application/json  body {"stage": STAGE, "mac": MAC, "message"?: TEXT}
 *    (kickstart %pre/%post/%onerror/%traceback and autoinstall early/late/error-commands use curl)
 * 2. GET  {url}?stage=STAGE&mac=MAC[&message=TEXT]
 *    (the Debian installer has only busybox wget, which cannot POST a body)
 * 3. POST {url}/events  body: a subiquity/curtin reporting "webhook" event as the installer writes it
 *    ({"event_type": "start"|"finish"|"log", "name", "description", "origin", "timestamp", "result"?, ...});
 *    the server maps these to stage "installing" with the description as the message.
 *
 * {url} is the context's progressUrl with "{{mac}}" replaced by the MAC (lower-case, colons; "unknown"
 * for a generic file). Responses are ignored; every call has a short timeout and never fails the install.
 */

/** Stages in the order an install passes them. "first-boot" is only sent when the profile asks for it. */
export const ProgressStage = {
  /** Kernel and initrd fetched (seen by the server, not sent by the installer). */
  InstallerStarted: 'installer-started',
  /** The answer file was served (seen by the server). */
  AnswerFetched: 'answer-fetched',
  PreInstall: 'pre-install',
  Installing: 'installing',
  PostInstall: 'post-install',
  Finished: 'finished',
  Failed: 'failed',
  FirstBoot: 'first-boot',
} as const;
export type ProgressStage = (typeof ProgressStage)[keyof typeof ProgressStage];

export const PROGRESS_STAGES: readonly ProgressStage[] = Object.values(ProgressStage);

/** Path suffix for reporting-webhook events (shape 3). */
export const PROGRESS_EVENTS_SUFFIX = '/events';

/** Seconds each callback may take before the installer gives up on it and carries on. */
export const PROGRESS_TIMEOUT_S = 10;

/** The callback URL for one machine. */
export function progressUrlFor(template: string, mac: string | null): string {
  return template.replace(/\{\{\s*mac\s*\}\}/g, mac ?? 'unknown');
}

/** Query string for shape 2 (values are URL-encoded; the result is safe inside single quotes). */
export function progressQuery(stage: ProgressStage, mac: string | null, message?: string): string {
  const q = new URLSearchParams({ stage, mac: mac ?? 'unknown' });
  if (message) q.set('message', message);
  return q.toString();
}

/** JSON body for shape 1. Stage and MAC are plain tokens, so the body needs no shell escaping. */
export function progressBody(stage: ProgressStage, mac: string | null, message?: string): string {
  return JSON.stringify(message ? { stage, mac: mac ?? 'unknown', message } : { stage, mac: mac ?? 'unknown' });
}

/** Quote any string for POSIX sh: 'it'\''s'. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A curl command for shape 1 that never fails the calling script. */
export function curlProgress(url: string, stage: ProgressStage, mac: string | null, message?: string): string {
  return `curl -fsS -m ${PROGRESS_TIMEOUT_S} -H 'Content-Type: application/json' -d ${shQuote(progressBody(stage, mac, message))} ${shQuote(url)} >/dev/null 2>&1 || true`;
}

/** A busybox-wget command for shape 2 that never fails the calling script. */
export function wgetProgress(url: string, stage: ProgressStage, mac: string | null, message?: string): string {
  return `wget -q -T ${PROGRESS_TIMEOUT_S} -O /dev/null ${shQuote(`${url}?${progressQuery(stage, mac, message)}`)} || true`;
}

/**
 * First-boot check-in: a script plus a systemd one-shot unit that reports "first-boot" once. Used by
 * kickstart and preseed when the profile sets firstBootCheckIn (autoinstall uses cloud-init runcmd).
 * The call lives in a script file so no URL goes through systemd's own quoting rules.
 */
export const FIRST_BOOT_UNIT_PATH = '/etc/systemd/system/fieldboot-first-boot.service';
export const FIRST_BOOT_SCRIPT_PATH = '/usr/local/sbin/fieldboot-first-boot';

export function firstBootScript(url: string, mac: string | null): string {
  // curl is in RHEL @core and Ubuntu; Debian's standard task has wget. Either is enough.
  return [
    '#!/bin/sh',
    '# Installed by FieldBoot: reports the first boot after an unattended install, once.',
    `${curlProgress(url, ProgressStage.FirstBoot, mac).replace(/ \|\| true$/, '')} || ${wgetProgress(url, ProgressStage.FirstBoot, mac)}`,
    'touch /var/lib/fieldboot-first-boot.done',
    '',
  ].join('\n');
}

export function firstBootUnit(): string {
  return [
    '[Unit]',
    'Description=Tell FieldBoot this machine booted after its install',
    'Wants=network-online.target',
    'After=network-online.target',
    'ConditionPathExists=!/var/lib/fieldboot-first-boot.done',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${FIRST_BOOT_SCRIPT_PATH}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
