/**
 * Simulated installs for the Clients view: N machines, each emitting the engine events a real install
 * produces (DHCP, TFTP loader, HTTP kernel and initrd with progress ticks, the installer's DHCP, answer
 * file, progress callbacks, package downloads), one event per machine per tick. Some fail the way real
 * ones do: a TFTP timeout on the initrd, an %onerror callback.
 *
 * Used by the UI test (200 machines, ~4000 events/s) and by `fake-backend.ts --clients N`.
 */
import type { EngineEvent, FileEvent, FileRole, LeaseEvent, StageEvent } from '../../shared/model/engine-event';
import { nowIso } from '../../shared/model/engine-event';

export interface SimulationOptions {
  count: number;
  /** One event per machine per tick (default 50 ms). */
  tickMs?: number;
  /** Packages each install downloads (default 40). */
  packages?: number;
  /** Machines start this many ticks apart, in groups (default: 20 groups, 1 tick apart). */
  stagger?: number;
  /** Every n-th machine (i % n === 3) times out on its initrd; 0 for none (default 23). */
  failTftpEvery?: number;
  /** Every n-th machine (i % n === 7) reports an %onerror failure; 0 for none (default 29). */
  failInstallerEvery?: number;
}

export function simulatedMac(i: number): string {
  return `52:54:00:5e:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
}

/** An event without its time (stamped when it is emitted). */
type Untimed = Omit<LeaseEvent, 'time'> | Omit<FileEvent, 'time'> | Omit<StageEvent, 'time'>;

function* install(i: number, o: Required<SimulationOptions>): Generator<Untimed> {
  const mac = simulatedMac(i);
  const ip = `10.77.${(i >> 8) & 255}.${(i & 255) + 1 > 254 ? 254 : (i & 255) + 1}`;
  const firmware = i % 3 === 0 ? 'bios' : 'efi-x64';
  const image = i % 2 === 0 ? 'debian-12' : 'rocky-9';
  const client = `${ip}:${2000 + (i % 1000)}`;
  yield { type: 'lease', action: 'discover', mac, ip: '0.0.0.0', firmware, arch: firmware === 'bios' ? 0 : 7 };
  yield { type: 'lease', action: 'offer', mac, ip, firmware };
  yield { type: 'lease', action: 'request', mac, ip };
  yield { type: 'lease', action: 'ack', mac, ip, hostname: `node-${String(i).padStart(3, '0')}` };
  const transfer = function* (protocol: FileEvent['protocol'], role: FileRole, path: string, size: number, ticks: number, fail = false): Generator<Omit<FileEvent, 'time'>> {
    const base = { type: 'file' as const, protocol, client, mac, role, image, path, size };
    yield { ...base, action: 'start', bytes: 0 };
    for (let k = 1; k <= ticks; k++) {
      const bytes = Math.floor((size * k) / (ticks + 1));
      if (fail && k === Math.floor(ticks / 2)) {
        yield { ...base, action: 'error', bytes, error: 'timed out after 6 retransmissions' };
        return;
      }
      yield { ...base, action: 'progress', bytes, rate: 10_000_000 + i * 1000 };
    }
    yield { ...base, action: 'end', bytes: size, rate: 10_000_000, durationMs: ticks * o.tickMs };
  };
  yield* transfer('tftp', 'loader', firmware === 'bios' ? 'undionly.kpxe' : 'ipxe.efi', 1_000_000, 2);
  yield* transfer('http', 'menu', '/boot/boot.ipxe', 2_000, 0);
  yield* transfer('http', 'kernel', `/iso/${image}/vmlinuz`, 12_000_000, 10);
  const tftpFails = o.failTftpEvery > 0 && i % o.failTftpEvery === 3;
  yield* transfer(tftpFails ? 'tftp' : 'http', 'initrd', `/iso/${image}/initrd.img`, 60_000_000, 30, tftpFails);
  if (tftpFails) return;
  yield { type: 'lease', action: 'discover', mac, ip: '0.0.0.0' };
  yield { type: 'lease', action: 'ack', mac, ip };
  yield* transfer('http', 'answer', `/answer/${mac.replace(/:/g, '-')}/ks.cfg`, 4_000, 0);
  yield { type: 'stage', mac, stage: 'pre-install', source: 'installer' };
  yield { type: 'stage', mac, stage: 'installing', source: 'installer', message: 'installing packages' };
  for (let p = 0; p < o.packages; p++) {
    if (o.failInstallerEvery > 0 && i % o.failInstallerEvery === 7 && p === Math.floor(o.packages / 2)) {
      yield { type: 'stage', mac, stage: 'failed', source: 'installer', message: 'anaconda: package transaction failed' };
      return;
    }
    yield* transfer('http', 'package', `/iso/${image}/Packages/pkg-${p}.rpm`, 300_000, 2);
  }
  yield { type: 'stage', mac, stage: 'post-install', source: 'installer' };
  yield { type: 'stage', mac, stage: 'finished', source: 'installer' };
}

export interface Simulation {
  macs: string[];
  /** Events emitted so far. */
  readonly emitted: number;
  /** Every machine has played its whole script. */
  readonly done: boolean;
  stop(): void;
}

export function simulateInstalls(emit: (event: EngineEvent) => void, options: SimulationOptions): Simulation {
  const o: Required<SimulationOptions> = { tickMs: 50, packages: 40, stagger: 20, failTftpEvery: 23, failInstallerEvery: 29, ...options };
  const scripts = Array.from({ length: o.count }, (_, i) => ({ i, delay: i % o.stagger, it: install(i, o), over: false }));
  let emitted = 0;
  const timer = setInterval(() => {
    const time = nowIso();
    for (const s of scripts) {
      if (s.over) continue;
      if (s.delay > 0) {
        s.delay--;
        continue;
      }
      const next = s.it.next();
      if (next.done) {
        s.over = true;
        continue;
      }
      emitted++;
      emit({ ...next.value, time } as EngineEvent);
    }
  }, o.tickMs);
  return {
    macs: scripts.map((s) => simulatedMac(s.i)),
    get emitted() {
      return emitted;
    },
    get done() {
      return scripts.every((s) => s.over);
    },
    stop: () => clearInterval(timer),
  };
}
