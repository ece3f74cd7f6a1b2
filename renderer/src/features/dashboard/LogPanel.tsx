/**
 * The log panel: engine log lines and events, newest at the bottom, filtered by level and by MAC. Only the
 * rows in view (plus a few) are in the DOM, each one fixed-height line, so 5000 lines scroll like 50.
 * It follows the newest line while scrolled to the bottom, and holds still while the technician reads
 * further up.
 */
import { useLayoutEffect, useMemo, useRef } from 'react';
import { useScrollView } from '../../components/use-scroll-view';
import { useStore } from 'zustand';
import { LOG_LEVELS, LOG_RING_SIZE, macQuery, type LogLine } from '../../../../shared/diagnostics-log';
import { formatClock } from '../../components/format';
import { Panel } from '../../components/Panel';
import { describeEvent } from '../events/EventLog';
import { filterLines, type LogStore } from './log-store';

export const LOG_ROW_HEIGHT = 22;
const OVERSCAN = 12;
/** "At the bottom" allows for a partly shown last row and sub-pixel scroll positions. */
const FOLLOW_SLACK_PX = LOG_ROW_HEIGHT;

const LEVEL_LABELS = { debug: 'Debug', info: 'Info', warn: 'Warnings', error: 'Errors' } as const;

/** What a row says: events in the event log's words, log lines as the engine wrote them. */
function lineText(line: LogLine): { tag: string; who: string | null; text: string } {
  if (line.event && line.event.type !== 'log') {
    const d = describeEvent(line.event);
    return { tag: d.tag, who: d.who ?? line.mac ?? null, text: d.text };
  }
  return { tag: line.tag, who: line.mac ?? null, text: line.message };
}

function LogRow({ line, index }: { line: LogLine; index: number }) {
  const { tag, who, text } = lineText(line);
  return (
    <div
      className={`log-row level-${line.level}`}
      role="row"
      style={{ transform: `translateY(${index * LOG_ROW_HEIGHT}px)` }}
      data-testid="log-row"
      data-level={line.level}
      data-mac={line.mac ?? ''}
      data-seq={line.seq}
      title={`${line.time} ${line.level} ${tag}${who ? ` ${who}` : ''} ${text}`}
    >
      <span className="log-time mono" role="cell">
        {formatClock(line.time)}
      </span>
      <span className="log-level" role="cell">
        {line.level}
      </span>
      <span className="log-tag" role="cell">
        {tag}
      </span>
      <span className="log-who mono" role="cell">
        {who ?? ''}
      </span>
      <span className="log-text" role="cell">
        {text}
      </span>
    </div>
  );
}

export function LogPanel({ store }: { store: LogStore }) {
  const lines = useStore(store, (s) => s.lines);
  const minLevel = useStore(store, (s) => s.minLevel);
  const macText = useStore(store, (s) => s.macText);
  const { setMinLevel, setMacText, clear } = store.getState();
  const visible = useMemo(() => filterLines(lines, minLevel, macText), [lines, minLevel, macText]);
  const macInvalid = macText.trim() !== '' && macQuery(macText) === null;

  const scroller = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const view = useScrollView(scroller, [], (el) => {
    follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - FOLLOW_SLACK_PX;
  }, 300);

  // New lines (or a new filter): stay at the bottom if that is where the reader was.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [visible]);

  const first = Math.max(0, Math.floor(view.top / LOG_ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(visible.length, Math.ceil((view.top + view.height) / LOG_ROW_HEIGHT) + OVERSCAN);

  return (
    <Panel
      title="Log"
      testId="log-panel"
      actions={
        <button type="button" className="link-button" onClick={clear} disabled={lines.length === 0}>
          Clear
        </button>
      }
    >
      <div className="log-toolbar">
        <div className="log-levels" role="radiogroup" aria-label="Show lines at this level and above">
          {LOG_LEVELS.map((level) => (
            <label key={level} className={`log-level-choice${minLevel === level ? ' is-current' : ''}`}>
              <input type="radio" name="log-level" value={level} checked={minLevel === level} onChange={() => setMinLevel(level)} data-testid={`log-level-${level}`} />
              {LEVEL_LABELS[level]}
              {level !== 'error' ? '+' : ''}
            </label>
          ))}
        </div>
        <label className="log-mac">
          <span>MAC</span>
          <input
            type="search"
            value={macText}
            onChange={(e) => setMacText(e.currentTarget.value)}
            placeholder="aa:bb:cc:dd:ee:ff, AA-BB-…, aabb.ccdd…"
            spellCheck={false}
            aria-invalid={macInvalid}
            aria-describedby="log-mac-help"
            data-testid="log-mac-filter"
          />
        </label>
        <span id="log-mac-help" className={macInvalid ? 'field-error' : 'muted'} data-testid="log-count" data-shown={visible.length} data-total={lines.length}>
          {macInvalid ? 'not a MAC: showing every machine' : `${visible.length} of ${lines.length} lines`}
          {lines.length >= LOG_RING_SIZE ? ` (last ${LOG_RING_SIZE} kept)` : ''}
        </span>
      </div>
      <div className="log-scroller" ref={scroller} tabIndex={0} role="table" aria-label="Log lines" aria-rowcount={visible.length} data-testid="log-scroller">
        {visible.length === 0 ? (
          <p className="muted log-empty" data-testid="log-empty">
            {lines.length === 0 ? 'Nothing logged yet. Lines appear here as the servers start and machines boot.' : 'No line matches these filters.'}
          </p>
        ) : (
          <div className="log-rows" role="rowgroup" style={{ height: visible.length * LOG_ROW_HEIGHT }}>
            {visible.slice(first, last).map((line, k) => (
              <LogRow key={line.seq} line={line} index={first + k} />
            ))}
          </div>
        )}
      </div>
    </Panel>
  );
}
