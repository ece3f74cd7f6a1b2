/** The machine's network interfaces; the technician picks the one cabled to the rack switch. */
import type { NetworkInterfaceInfo } from '../../../../shared/model/network';
import { KIND_LABELS } from '../../components/format';
import { LinkBadge } from '../../components/LinkBadge';

/** Loopback, container and VPN adapters are listed but dimmed: PXE never runs over them. */
const UNLIKELY_KINDS: ReadonlySet<string> = new Set(['loopback', 'virtual', 'vpn']);

export function InterfaceTable({
  interfaces,
  selected,
  disabled,
  onSelect,
}: {
  interfaces: NetworkInterfaceInfo[];
  selected: string | null;
  disabled: boolean;
  onSelect(name: string): void;
}) {
  return (
    <table className="interface-table" data-testid="interface-list">
      <thead>
        <tr>
          <th scope="col" className="col-pick">
            <span className="visually-hidden">Use</span>
          </th>
          <th scope="col">Interface</th>
          <th scope="col">IPv4 address</th>
          <th scope="col">MAC</th>
          <th scope="col">Link</th>
        </tr>
      </thead>
      <tbody>
        {interfaces.map((nic) => {
          const isSelected = nic.name === selected;
          const classes = ['interface-row', isSelected ? 'is-selected' : '', UNLIKELY_KINDS.has(nic.kind) ? 'is-unlikely' : '', disabled ? 'is-disabled' : '']
            .filter(Boolean)
            .join(' ');
          return (
            <tr
              key={nic.name}
              className={classes}
              data-testid="interface-row"
              data-name={nic.name}
              aria-selected={isSelected}
              onClick={() => !disabled && onSelect(nic.name)}
            >
              <td className="col-pick">
                <input
                  type="radio"
                  name="interface"
                  value={nic.name}
                  checked={isSelected}
                  disabled={disabled}
                  onChange={() => onSelect(nic.name)}
                  aria-label={`Use ${nic.name}`}
                />
              </td>
              <td>
                <div className="nic-name" data-testid="interface-name">
                  {nic.name}
                </div>
                <div className="nic-kind">{KIND_LABELS[nic.kind]}</div>
              </td>
              <td data-testid="interface-ipv4" className="mono">
                {nic.ipv4.length > 0 ? (
                  nic.ipv4.map((a) => <div key={`${a.address}/${a.prefix}`}>{`${a.address}/${a.prefix}`}</div>)
                ) : (
                  <span className="muted">none</span>
                )}
              </td>
              <td className="mono" data-testid="interface-mac">
                {nic.mac ?? <span className="muted">—</span>}
              </td>
              <td data-testid="interface-link">
                <LinkBadge up={nic.linkUp} speedMbps={nic.speedMbps} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
