/**
 * The clients:* channels through the dispatch table against the real AppController: engine events (played
 * on its EngineHost, no engine process) feed its tracker; pushes are snapshot-free deltas with log tails;
 * arming and one-shot disarm are pushed as ArmEvents and persisted in <stateDir>/clients.json, so a new
 * controller on the same folder has them. Malformed requests are refused with bad-option.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ApiPush } from '../../shared/api/fieldboot-api';
import type { EngineEvent } from '../../shared/model/engine-event';
import { AppController } from '../../electron/engine-host/app-controller';
import { dispatchApiCall } from '../../electron/engine-host/api-dispatch';
import { EngineHost } from '../../electron/engine-host/engine-host';

const MAC = '52:54:00:ca:fe:01';
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

test('clients:* over the dispatch table: events in, deltas out, arming persisted across controllers', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fb-clients-api-'));
  const host = new EngineHost();
  const controller = new AppController({ baseConfig: { stateDir }, host, listInterfaces: async () => [] });
  const pushes: ApiPush[] = [];
  controller.subscribe((p) => pushes.push(p));
  const play = (e: EngineEvent) => host.emit('event', e);
  try {
    const t0 = Date.now();
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    play({ type: 'lease', time: at(0), action: 'discover', mac: MAC, ip: '0.0.0.0', firmware: 'efi-x64', arch: 7 });
    play({ type: 'lease', time: at(1), action: 'ack', mac: MAC, ip: '192.168.77.50', hostname: 'n50' });
    for (let i = 0; i < 6; i++) play({ type: 'lease', time: at(2), action: 'request', mac: MAC, ip: '192.168.77.50' });
    await tick();
    const deltas = pushes.filter((p): p is Extract<ApiPush, { type: 'clients' }> => p.type === 'clients');
    assert.ok(deltas.length >= 1);
    assert.ok(deltas.every((d) => !d.snapshot), 'the renderer gets its snapshot from clients:list, not from a push');
    const last = deltas.at(-1)!.changed!.find((r) => r.mac === MAC)!;
    assert.equal(last.stage, 'address');
    assert.equal(last.log.length, 3, 'pushes carry the log tail only');

    const list = await dispatchApiCall(controller, 'clients:list', undefined);
    assert.ok(list.ok && list.value.length === 1 && list.value[0]!.log.length === 3);
    const full = await dispatchApiCall(controller, 'clients:get', { mac: '52-54-00-CA-FE-01' });
    assert.ok(full.ok && full.value.log.length === 8, 'clients:get has the whole log');

    const armed = await dispatchApiCall(controller, 'clients:arm', { macs: [MAC, '52:54:00:ca:fe:02'], oneShot: true });
    assert.ok(armed.ok && armed.value.every((r) => r.armed && r.oneShot));
    const armEvents = () => pushes.flatMap((p) => (p.type === 'event' && p.event.type === 'arm' ? [p.event] : []));
    assert.deepEqual(armEvents().map((e) => [e.mac, e.armed, e.reason]), [[MAC, true, 'user'], ['52:54:00:ca:fe:02', true, 'user']]);

    play({ type: 'stage', time: at(60), mac: MAC, stage: 'finished', source: 'installer' });
    await tick();
    assert.deepEqual(armEvents().at(-1) && [armEvents().at(-1)!.mac, armEvents().at(-1)!.armed, armEvents().at(-1)!.reason], [MAC, false, 'finished']);

    const csv = await dispatchApiCall(controller, 'clients:export', { format: 'csv' });
    assert.ok(csv.ok && csv.value.split('\r\n').length === 4, 'header, two machines, final newline');
    const json = await dispatchApiCall(controller, 'clients:export', { format: 'json' });
    assert.ok(json.ok && (JSON.parse(json.value) as { clients: unknown[] }).clients.length === 2);

    for (const [channel, raw] of [
      ['clients:arm', { macs: ['not-a-mac'], oneShot: true }],
      ['clients:arm', { macs: [], oneShot: true }],
      ['clients:arm', { macs: [MAC], oneShot: 'yes' }],
      ['clients:arm', { macs: [MAC], extra: 1 }],
      ['clients:disarm', { macs: 'x' }],
      ['clients:export', { format: 'xml' }],
      ['clients:get', { mac: 5 }],
      ['clients:clear-finished', { now: true }],
    ] as const) {
      const r = await dispatchApiCall(controller, channel, raw);
      assert.ok(!r.ok && r.error.code === 'bad-option', `${channel} ${JSON.stringify(raw)} refused`);
    }
    const missing = await dispatchApiCall(controller, 'clients:get', { mac: '52:54:00:00:00:99' });
    assert.ok(!missing.ok);

    const cleared = await dispatchApiCall(controller, 'clients:clear-finished', undefined);
    assert.ok(cleared.ok);
    assert.deepEqual(cleared.value, [MAC], 'finished and (one-shot) disarmed: cleared; the armed, unseen one stays');
  } finally {
    await controller.dispose();
  }
  const again = new AppController({ baseConfig: { stateDir }, host: new EngineHost(), listInterfaces: async () => [] });
  try {
    const list = await dispatchApiCall(again, 'clients:list', undefined);
    assert.ok(list.ok);
    assert.deepEqual(list.value.map((r) => [r.mac, r.armed, r.oneShot]), [['52:54:00:ca:fe:02', true, true]]);
  } finally {
    await again.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
