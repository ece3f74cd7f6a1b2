/** How FieldBoot answers DHCP on the chosen interface, in the words a technician decides by. */
import { DhcpMode } from '../../../../shared/model/serve-config';
import type { NetworkInterfaceInfo } from '../../../../shared/model/network';
import { defaultRange, formatIpv4, parseIpv4, parseRange, sameSubnet } from '../../../../shared/net/ipv4';

const MODES: { mode: DhcpMode; title: string; when: string }[] = [
  { mode: DhcpMode.Full, title: 'Full DHCP', when: 'Hands out addresses. For an isolated rack switch.' },
  { mode: DhcpMode.Proxy, title: 'Proxy DHCP', when: 'Adds boot information only. For a network that has its own DHCP server.' },
  { mode: DhcpMode.Off, title: 'No DHCP', when: 'Answers nothing. Another DHCP server already points clients here.' },
];

/** Why the typed range cannot be used, or null when it can (empty means "automatic"). */
export function rangeProblem(range: string, nic: NetworkInterfaceInfo | undefined): string | null {
  const text = range.trim();
  if (!text) return null;
  const parsed = parseRange(text);
  if (!parsed) return 'Write the range as FIRST-LAST, for example 10.77.0.100-10.77.0.200.';
  const addr = nic?.ipv4[0];
  if (!addr) return null;
  const server = parseIpv4(addr.address);
  if (server === null) return null;
  if (!sameSubnet(parsed.first, server, addr.prefix) || !sameSubnet(parsed.last, server, addr.prefix)) {
    return `The range must be inside ${nic.name}'s subnet (${addr.address}/${addr.prefix}).`;
  }
  if (server >= parsed.first && server <= parsed.last) return `The range must not include this machine's own address (${addr.address}).`;
  return null;
}

/**
 * Full mode: why the range the next start uses cannot serve on this interface: the typed one, or when the field
 * is empty the Settings screen's pool (the engine would refuse it at Start). Null when it can, or is automatic.
 */
export function fullRangeProblem(range: string, savedPool: string, nic: NetworkInterfaceInfo | undefined): string | null {
  if (range.trim()) return rangeProblem(range, nic);
  const pool = savedPool.trim();
  const problem = pool ? rangeProblem(pool, nic) : null;
  return problem ? `The Settings screen's pool ${pool} does not fit here: ${problem.replace(/^The range/, 'it')} Type a range for this interface, or change the pool in Settings.` : null;
}

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
