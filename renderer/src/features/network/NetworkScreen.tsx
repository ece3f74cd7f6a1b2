/** The first screen: pick the interface and DHCP mode, start or stop serving, see the state. */
import { Panel } from '../../components/Panel';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFieldboot, useFieldbootActions } from '../../store/store-context';
import { DhcpSettings, rangeProblem } from './DhcpSettings';
import { InterfaceTable } from './InterfaceTable';
import { ServingStatus } from './ServingStatus';

export function NetworkScreen() {
  const interfaces = useFieldboot((s) => s.interfaces);
  const interfacesStatus = useFieldboot((s) => s.interfacesStatus);
  const interfacesError = useFieldboot((s) => s.interfacesError);
  const selected = useFieldboot((s) => s.selectedInterface);
  const dhcpMode = useFieldboot((s) => s.dhcpMode);
  const range = useFieldboot((s) => s.range);
  const serving = useFieldboot((s) => s.serving);
  const busy = useFieldboot((s) => s.busy);
  const actionError = useFieldboot((s) => s.actionError);
  const { selectInterface, setDhcpMode, setRange, startServing, stopServing, refreshInterfaces } = useFieldbootActions();

  const nic = interfaces.find((i) => i.name === selected);
  const locked = serving.phase === 'starting' || serving.phase === 'serving' || serving.phase === 'stopping';
  const canStart = nic !== undefined && (dhcpMode !== 'full' || rangeProblem(range, nic) === null);

  return (
    <div className="network-screen" data-testid="network-screen">
      <ServingStatus
        state={serving}
        selected={selected}
        busy={busy}
        canStart={canStart}
        actionError={actionError}
        onStart={() => void startServing()}
        onStop={() => void stopServing()}
      />
      <Panel
        title="Network interface"
        testId="interfaces-panel"
        actions={
          <button type="button" className="link-button" onClick={() => void refreshInterfaces()} disabled={interfacesStatus === 'loading'}>
            {interfacesStatus === 'loading' ? 'Refreshing…' : 'Refresh'}
          </button>
        }
      >
        {interfacesError ? <ErrorNotice error={interfacesError} testId="interfaces-error" /> : null}
        {interfacesStatus !== 'loading' && interfaces.length === 0 && !interfacesError ? <p className="muted">No network interfaces found.</p> : null}
        {interfaces.length > 0 ? <InterfaceTable interfaces={interfaces} selected={selected} disabled={locked} onSelect={selectInterface} /> : null}
        {nic && !locked && !nic.linkUp ? (
          <p className="notice" data-testid="interface-warning">
            {nic.name} has no link. Plug its cable into the rack switch (or check the switch port).
          </p>
        ) : null}
        {nic && !locked && nic.linkUp && nic.ipv4.length === 0 ? (
          <p className="notice" data-testid="interface-warning">
            {nic.name} has no IPv4 address. Give it one (for example 10.77.0.1/24) before serving.
          </p>
        ) : null}
      </Panel>
      <Panel title="Boot services" testId="dhcp-panel">
        <DhcpSettings mode={dhcpMode} range={range} nic={nic} disabled={locked} onMode={setDhcpMode} onRange={setRange} />
      </Panel>
    </div>
  );
}
