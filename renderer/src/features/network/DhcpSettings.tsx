/** How FieldBoot answers DHCP on the chosen interface, in the words a technician decides by. */
import { DhcpMode } from '../../../../shared/model/serve-config';
import type { NetworkInterfaceInfo } from '../../../../shared/model/network';
import { defaultRange, formatIpv4, parseIpv4 } from '../../../../shared/net/ipv4';
import { fullRangeProblem } from './dhcp-range';

const MODES: { mode: DhcpMode; title: string; when: string }[] = [
  { mode: DhcpMode.Full, title: 'Full DHCP', when: 'Hands out addresses. For an isolated rack switch.' },
  { mode: DhcpMode.Proxy, title: 'Proxy DHCP', when: 'Adds boot information only. For a network that has its own DHCP server.' },
  { mode: DhcpMode.Off, title: 'No DHCP', when: 'Answers nothing. Another DHCP server already points clients here.' },
];

function automaticRange(nic: NetworkInterfaceInfo | undefined): string {
  const addr = nic?.ipv4[0];
  const server = addr ? parseIpv4(addr.address) : null;
  if (!addr || server === null) return 'Automatic (from the interface subnet)';
  const r = defaultRange(server, addr.prefix);
  return r.last >= r.first ? `Automatic: ${formatIpv4(r.first)}-${formatIpv4(r.last)}` : 'Automatic (from the interface subnet)';
}

export function DhcpSettings({
  mode,
  range,
  nic,
  disabled,
  onMode,
  onRange,
  savedPool = '',
}: {
  mode: DhcpMode;
  range: string;
  nic: NetworkInterfaceInfo | undefined;
  disabled: boolean;
  onMode(mode: DhcpMode): void;
  onRange(range: string): void;
  /** The Settings screen's pool, used when the field is left empty. */
  savedPool?: string;
}) {
  const problem = mode === DhcpMode.Full ? fullRangeProblem(range, savedPool, nic) : null;
  return (
    <div className="dhcp-settings">
      <fieldset className="mode-choice" disabled={disabled} data-testid="dhcp-mode">
        <legend>DHCP mode</legend>
        {MODES.map((m) => (
          <label key={m.mode} className={`mode-option ${mode === m.mode ? 'is-selected' : ''}`}>
            <input
              type="radio"
              name="dhcp-mode"
              value={m.mode}
              checked={mode === m.mode}
              onChange={() => onMode(m.mode)}
              data-testid={`dhcp-mode-${m.mode}`}
            />
            <span className="mode-text">
              <span className="mode-title">{m.title}</span>
              <span className="mode-when">{m.when}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="range-field">
        <label htmlFor="dhcp-range">Address range</label>
        <input
          id="dhcp-range"
          type="text"
          inputMode="decimal"
          spellCheck={false}
          autoComplete="off"
          className="mono"
          value={range}
          placeholder={mode === DhcpMode.Full ? (savedPool ? `From Settings: ${savedPool}` : automaticRange(nic)) : 'Only used in full DHCP mode'}
          disabled={disabled || mode !== DhcpMode.Full}
          onChange={(e) => onRange(e.target.value)}
          aria-invalid={problem !== null}
          aria-describedby="dhcp-range-help"
          data-testid="dhcp-range"
        />
        <p id="dhcp-range-help" className={problem ? 'field-error' : 'field-help'}>
          {problem ??
            (mode === DhcpMode.Full
              ? savedPool
                ? "Leave empty to use the Settings screen's pool."
                : 'Leave empty to use part of the interface subnet.'
              : 'FieldBoot hands out no addresses in this mode.')}
        </p>
      </div>
    </div>
  );
}
