/** A short live log of what clients are doing: leases, file transfers, problems. Newest on top. */
import type { EngineEvent } from '../../../../shared/model/engine-event';
import { formatBytes, formatClock, formatRate } from '../../components/format';
import { Panel } from '../../components/Panel';
import { useFieldboot, useFieldbootActions } from '../../store/store-context';

const LEASE_VERBS: Record<string, string> = {
  offer: 'Offered',
  ack: 'Leased',
  nak: 'Refused',
  release: 'Released',
  decline: 'Declined',
  inform: 'Informed',
};

type Tone = 'info' | 'good' | 'warn' | 'bad';

interface EventLine {
  tag: string;
  tone: Tone;
  who: string | null;
  text: string;
}

export function describeEvent(e: EngineEvent): EventLine {
  switch (e.type) {
    case 'lease': {
      const boot = e.bootFile ? ` → ${e.bootFile}` : '';
      const host = e.hostname ? ` (${e.hostname})` : '';
      return { tag: 'DHCP', tone: e.action === 'nak' || e.action === 'decline' ? 'warn' : 'info', who: e.mac, text: `${LEASE_VERBS[e.action] ?? e.action} ${e.ip}${host}${boot}` };
    }
    case 'file': {
      const tag = e.protocol.toUpperCase();
      const who = e.mac ?? e.client;
      if (e.action === 'error') return { tag, tone: 'bad', who, text: `${e.path}: ${e.error ?? 'transfer failed'}` };
      if (e.action === 'end') {
        const secs = e.durationMs !== undefined ? ` in ${(e.durationMs / 1000).toFixed(1)} s` : '';
        const rate = e.rate ? ` (${formatRate(e.rate)})` : '';
        return { tag, tone: 'good', who, text: `Sent ${e.path} · ${formatBytes(e.bytes)}${secs}${rate}` };
      }
      const size = e.size !== undefined ? ` (${formatBytes(e.size)})` : '';
      return { tag, tone: 'info', who, text: `Sending ${e.path}${size}` };
    }
    case 'stage':
      return { tag: 'STAGE', tone: e.stage === 'failed' ? 'bad' : e.stage === 'finished' ? 'good' : 'info', who: e.mac, text: `${e.stage}${e.message ? `: ${e.message}` : ''}` };
    case 'arm':
      return { tag: 'ARM', tone: 'info', who: e.mac, text: e.armed ? 'Armed for install' : `Disarmed (${e.reason})` };
    case 'pool':
      return { tag: 'DHCP', tone: 'bad', who: e.mac, text: `No free address in ${e.range}` };
    case 'error':
      return { tag: e.subsystem, tone: 'bad', who: null, text: `${e.error.message} ${e.error.hint}` };
    case 'ready':
      return { tag: 'READY', tone: 'good', who: null, text: `Serving on ${e.interface} (${e.serverIp})` };
    case 'stopped':
      return { tag: 'STOP', tone: 'info', who: null, text: `Stopped: ${e.reason}` };
    case 'link':
      return { tag: 'LINK', tone: e.state === 'up' ? 'good' : 'warn', who: null, text: `${e.interface} ${e.state === 'up' ? 'link up' : e.state === 'gone' ? 'gone' : 'link down'}: ${e.detail}` };
    case 'log':
      return { tag: e.subsystem, tone: e.level === 'error' ? 'bad' : 'warn', who: e.mac ?? null, text: e.message };
  }
}

export function EventLog() {
  const events = useFieldboot((s) => s.events);
  const { clearEvents } = useFieldbootActions();
  return (
    <Panel
      title="Activity"
      testId="event-log"
      actions={
        events.length > 0 ? (
          <button type="button" className="link-button" onClick={clearEvents}>
            Clear
          </button>
        ) : null
      }
    >
      {events.length === 0 ? (
        <p className="muted empty-log">Nothing yet. Leases and file transfers show here as machines boot.</p>
      ) : (
        <ol className="event-list" aria-live="off" tabIndex={0} aria-label="Activity, newest last">
          {events.map(({ id, event }) => {
            const line = describeEvent(event);
            return (
              <li key={id} className={`event tone-${line.tone}`} data-testid="event-row" data-type={event.type}>
                <time className="event-time mono" dateTime={event.time}>
                  {formatClock(event.time)}
                </time>
                <span className="event-tag">{line.tag}</span>
                <span className="event-body">
                  {line.who ? <span className="event-who mono">{line.who}</span> : null}
                  <span className="event-text">{line.text}</span>
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </Panel>
  );
}
