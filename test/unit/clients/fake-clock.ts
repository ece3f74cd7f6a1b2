/** A clock and timers the test moves by hand: no real waits in the tracker's unit tests. */
import type { ClientTimers } from '../../../electron/engine/clients/client-tracker';

export class FakeClock implements ClientTimers {
  private t: number;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.parse('2026-03-01T10:00:00.000Z')) {
    this.t = start;
  }

  now = (): number => this.t;

  iso(offsetMs = 0): string {
    return new Date(this.t + offsetMs).toISOString();
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  /** Move time on, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | null = null;
      for (const entry of this.due) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.due.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }
}
