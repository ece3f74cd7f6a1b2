/**
 * When each part of a QEMU guest's serial console appeared: the log file QEMU writes is polled every
 * POLL_MS and every growth is stamped, so "when did line X first show" is answered to within one poll.
 * QEMU's `-serial file:` writes each byte as the guest emits it (no baud-rate pacing), so the stamp is the
 * moment the guest printed it, plus at most one poll.
 */
import { readFileSync } from 'node:fs';

const POLL_MS = 25;

export interface SerialTimeline {
  /** ms since `t0` when `re` first matched the console, or null if it has not. */
  firstMatch(re: RegExp): number | null;
  /** Resolves with ms since `t0` once `re` matches; rejects after `timeoutMs` or when `gone()` says so. */
  waitFor(re: RegExp, timeoutMs: number, gone: () => string | null): Promise<number>;
  text(): string;
  stop(): void;
}

export function watchSerial(path: string, t0: number): SerialTimeline {
  /** Each growth of the file: when it was seen and the length the file had then. */
  const stamps: Array<{ ms: number; end: number }> = [];
  let text = '';
  const poll = (): void => {
    let now = '';
    try {
      now = readFileSync(path, 'latin1');
    } catch {
      return;
    }
    if (now.length > text.length) {
      text = now;
      stamps.push({ ms: Date.now() - t0, end: now.length });
    }
  };
  const timer = setInterval(poll, POLL_MS);
  poll();

  const firstMatch = (re: RegExp): number | null => {
    const m = new RegExp(re.source, re.flags.replace('g', '')).exec(text);
    if (!m) return null;
    const end = m.index + m[0].length;
    return stamps.find((s) => s.end >= end)?.ms ?? null;
  };

  return {
    firstMatch,
    text: () => text,
    stop: () => clearInterval(timer),
    waitFor(re, timeoutMs, gone) {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        const tick = (): void => {
          const hit = firstMatch(re);
          if (hit !== null) return resolve(hit);
          const why = gone();
          if (why) return reject(new Error(`${why} before ${re} on the serial console`));
          if (Date.now() - started > timeoutMs) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}`));
          setTimeout(tick, POLL_MS);
        };
        tick();
      });
    },
  };
}
