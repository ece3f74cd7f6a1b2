/**
 * Machines (BMC): the servers' management controllers. Add them by hand or from a CSV, check them, then tick
 * several and "Install these machines": each gets next boot from the network and a power cycle (or power on),
 * with its own result in its row as it comes in. Passwords go to the backend once and are never shown again.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { FieldbootApi } from '../../../../shared/api/fieldboot-api';
import { BMC_DEFAULT_PORT, BmcBootMode, BmcProtocol, type BmcEntry } from '../../../../shared/model/bmc';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Panel } from '../../components/Panel';
import { useFieldboot } from '../../store/store-context';
import { createBmcStore, POWER_BUTTONS, type BmcState, type BmcStore } from './bmc-store';
import type { BmcRowStatus } from './bmc-status';
import './bmc.css';

// One store per API, kept while the app runs: switching tabs mid-install does not lose the rows.
const stores = new WeakMap<FieldbootApi, BmcStore>();
function bmcStoreFor(api: FieldbootApi): BmcStore {
  let store = stores.get(api);
  if (!store) {
    store = createBmcStore(api);
    stores.set(api, store);
  }
  return store;
}

function useBmc<T>(store: BmcStore, selector: (s: BmcState) => T): T {
  return useStore(store, selector);
}

const EMPTY_FORM = { host: '', protocol: BmcProtocol.Ipmi as BmcProtocol, port: '', user: '', password: '', mac: '', name: '' };

function AddBmcForm({ store }: { store: BmcStore }) {
  const [form, setForm] = useState(EMPTY_FORM);
  const adding = useBmc(store, (s) => s.adding);
  const field = (key: keyof typeof EMPTY_FORM) => ({
    value: form[key],
    onChange: (e: { currentTarget: { value: string } }) => {
      const value = e.currentTarget.value;
      setForm((f) => ({ ...f, [key]: value }));
    },
  });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await store.getState().add({
      host: form.host.trim(),
      protocol: form.protocol,
      user: form.user,
      password: form.password,
      ...(form.port.trim() ? { port: Number(form.port.trim()) } : {}),
      ...(form.mac.trim() ? { mac: form.mac.trim() } : {}),
      ...(form.name.trim() ? { name: form.name.trim() } : {}),
    });
    // The password leaves the page's memory as soon as the backend has it.
    if (ok) setForm({ ...EMPTY_FORM, protocol: form.protocol, user: form.user });
    else setForm((f) => ({ ...f, password: '' }));
  };
  return (
    <form className="bmc-form" onSubmit={(e) => void submit(e)} data-testid="bmc-add-form" autoComplete="off">
      <label className="bmc-field bmc-field-host">
        <span>BMC address</span>
        <input required placeholder="10.0.12.11" {...field('host')} data-testid="bmc-host" />
      </label>
      <label className="bmc-field">
        <span>Protocol</span>
        <select value={form.protocol} onChange={(e) => {
            const protocol = e.currentTarget.value as BmcProtocol;
            setForm((f) => ({ ...f, protocol }));
          }} data-testid="bmc-protocol">
          <option value={BmcProtocol.Ipmi}>IPMI</option>
          <option value={BmcProtocol.Redfish}>Redfish</option>
        </select>
      </label>
      <label className="bmc-field bmc-field-port">
        <span>Port</span>
        <input inputMode="numeric" placeholder={String(BMC_DEFAULT_PORT[form.protocol])} {...field('port')} data-testid="bmc-port" />
      </label>
      <label className="bmc-field">
        <span>User</span>
        <input required {...field('user')} data-testid="bmc-user" />
      </label>
      <label className="bmc-field">
        <span>Password</span>
        <input required type="password" autoComplete="new-password" {...field('password')} data-testid="bmc-password" />
      </label>
      <label className="bmc-field">
        <span>
          Server MAC <span className="muted">(optional)</span>
        </span>
        <input placeholder="52:54:00:12:34:56" {...field('mac')} data-testid="bmc-mac" />
      </label>
      <label className="bmc-field">
        <span>
          Name <span className="muted">(optional)</span>
        </span>
        <input placeholder="rack12-u07" {...field('name')} data-testid="bmc-name" />
      </label>
      <button type="submit" className="bmc-button is-primary" disabled={adding} data-testid="bmc-add">
        Add BMC
      </button>
    </form>
  );
}

function ImportCsv({ store }: { store: BmcStore }) {
  const input = useRef<HTMLInputElement>(null);
  const last = useBmc(store, (s) => s.lastImport);
  return (
    <div className="bmc-import">
      <button type="button" className="bmc-button" onClick={() => input.current?.click()} data-testid="bmc-import">
        Import CSV…
      </button>
      <span className="muted">
        One BMC per line: <code className="mono">bmc_host,port,user,password,mac</code> (MAC optional; <code className="mono">https://host</code> for Redfish)
      </span>
      <input
        ref={input}
        type="file"
        accept=".csv,text/csv,text/plain"
        className="visually-hidden"
        tabIndex={-1}
        aria-label="BMC list CSV file"
        data-testid="bmc-import-input"
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = '';
          if (file) void file.text().then((csv) => store.getState().importCsv(csv));
        }}
      />
      {last ? (
        <div className="bmc-import-result" data-testid="bmc-import-result">
          Imported {last.added.length} new, {last.updated.length} updated{last.errors.length ? `, ${last.errors.length} refused:` : '.'}
          {last.errors.length ? (
            <ul>
              {last.errors.map((e) => (
                <li key={e.line}>
                  line {e.line}: {e.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

function MacCell({ store, bmc }: { store: BmcStore; bmc: BmcEntry }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(bmc.mac ?? '');
  useEffect(() => setValue(bmc.mac ?? ''), [bmc.mac]);
  if (!editing) {
    return (
      <span className="bmc-mac">
        <span className="mono" data-testid="bmc-row-mac">
          {bmc.mac ?? '—'}
        </span>
        <button type="button" className="link-button" onClick={() => setEditing(true)} aria-label={`Edit the server MAC of ${bmc.name}`}>
          edit
        </button>
      </span>
    );
  }
  return (
    <form
      className="bmc-mac-edit"
      onSubmit={(e) => {
        e.preventDefault();
        void store
          .getState()
          .setMac(bmc.id, value.trim() || null)
          .then((ok) => ok && setEditing(false));
      }}
    >
      <input className="mono" value={value} onChange={(e) => setValue(e.currentTarget.value)} placeholder="52:54:00:12:34:56" aria-label="Server MAC" />
      <button type="submit" className="link-button">
        save
      </button>
      <button type="button" className="link-button" onClick={() => setEditing(false)}>
        cancel
      </button>
    </form>
  );
}

function StatusCell({ row }: { row: BmcRowStatus | undefined }) {
  if (!row) return <span className="muted">—</span>;
  return (
    <div className={`bmc-status is-${row.phase}`} data-testid="bmc-row-status" data-phase={row.phase}>
      <span className="bmc-status-title" data-testid="bmc-row-title">
        {row.phase === 'running' || row.phase === 'queued' ? <span className="bmc-spinner" aria-hidden="true" /> : null}
        {row.title}
      </span>
      {row.detail ? (
        <span className="bmc-status-detail" data-testid="bmc-row-detail">
          {row.detail}
        </span>
      ) : null}
      {row.hint ? (
        <span className="bmc-status-hint" data-testid="bmc-row-hint">
          {row.hint}
        </span>
      ) : null}
      {row.notes.length ? (
        <details className="bmc-status-notes">
          <summary>What the BMC did ({row.notes.length})</summary>
          <ul>
            {row.notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}

function BmcTable({ store }: { store: BmcStore }) {
  const bmcs = useBmc(store, (s) => s.bmcs);
  const selected = useBmc(store, (s) => s.selected);
  const rows = useBmc(store, (s) => s.rows);
  const { toggle, selectAll } = store.getState();
  const all = bmcs.length > 0 && selected.length === bmcs.length;
  if (bmcs.length === 0) {
    return (
      <p className="muted bmc-empty" data-testid="bmc-empty">
        No BMCs yet. Add the servers&apos; management controllers above (IPMI or Redfish), or import a CSV.
      </p>
    );
  }
  return (
    <table className="bmc-table" data-testid="bmc-table">
      <thead>
        <tr>
          <th className="col-pick">
            <input type="checkbox" checked={all} onChange={(e) => selectAll(e.currentTarget.checked)} aria-label="Select every BMC" data-testid="bmc-select-all" />
          </th>
          <th>Machine</th>
          <th>BMC</th>
          <th>Server MAC</th>
          <th>Power</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {bmcs.map((b) => {
          const row = rows[b.id];
          return (
            <tr key={b.id} className={selected.includes(b.id) ? 'is-selected' : ''} data-testid="bmc-row" data-id={b.id} data-name={b.name}>
              <td className="col-pick">
                <input type="checkbox" checked={selected.includes(b.id)} onChange={(e) => toggle(b.id, e.currentTarget.checked)} aria-label={`Select ${b.name}`} data-testid="bmc-row-select" />
              </td>
              <td>
                <span className="bmc-name">{b.name}</span>
                <span className="bmc-sub">user {b.user}</span>
              </td>
              <td>
                <span className="mono">{b.id}</span>
                <span className="bmc-sub">{b.protocol === BmcProtocol.Ipmi ? 'IPMI' : 'Redfish'}</span>
              </td>
              <td>
                <MacCell store={store} bmc={b} />
              </td>
              <td data-testid="bmc-row-power">{row?.power ?? <span className="muted">?</span>}</td>
              <td>
                <StatusCell row={row} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Toolbar({ store }: { store: BmcStore }) {
  const selected = useBmc(store, (s) => s.selected);
  const bootMode = useBmc(store, (s) => s.bootMode);
  const running = useBmc(store, (s) => s.running);
  const [confirming, setConfirming] = useState(false);
  const installButton = useRef<HTMLButtonElement>(null);
  // Cancel or Escape: the question goes away and the keyboard is back on the button that asked it.
  const cancelConfirm = (): void => {
    setConfirming(false);
    installButton.current?.focus();
  };
  const n = selected.length;
  const none = n === 0 || running;
  const { install, test, power, remove, setBootMode } = store.getState();
  const machines = `${n} machine${n === 1 ? '' : 's'}`;
  return (
    <div className="bmc-toolbar">
      <div className="bmc-toolbar-row">
        <fieldset className="bmc-boot-mode" disabled={running}>
          <legend>Boot the installer with</legend>
          {[
            { mode: BmcBootMode.Uefi, label: 'UEFI' },
            { mode: BmcBootMode.Bios, label: 'Legacy BIOS' },
          ].map((o) => (
            <label key={o.mode} className={bootMode === o.mode ? 'is-selected' : ''}>
              <input type="radio" name="bmc-boot-mode" checked={bootMode === o.mode} onChange={() => setBootMode(o.mode)} data-testid={`bmc-boot-${o.mode}`} />
              {o.label}
            </label>
          ))}
        </fieldset>
        <button type="button" className="bmc-button is-primary is-large" disabled={none} onClick={() => setConfirming(true)} data-testid="bmc-install" ref={installButton}>
          {n > 0 ? `Install these ${machines}` : 'Install these machines'}
        </button>
        <button type="button" className="bmc-button" disabled={none} onClick={() => void test(selected)} data-testid="bmc-test">
          Check
        </button>
        {POWER_BUTTONS.map((p) => (
          <button key={p.verb} type="button" className="bmc-button" disabled={none} onClick={() => void power(selected, p.verb)} data-testid={`bmc-power-${p.verb}`}>
            {p.label}
          </button>
        ))}
        <button type="button" className="bmc-button is-quiet" disabled={none} onClick={() => void remove(selected)} data-testid="bmc-remove">
          Remove
        </button>
      </div>
      {confirming && n > 0 ? (
        <div className="bmc-confirm" role="alertdialog" aria-label="Confirm install" data-testid="bmc-confirm" onKeyDown={(e) => e.key === 'Escape' && cancelConfirm()}>
          <p>
            <strong>{machines}</strong> will boot from the network once ({bootMode === BmcBootMode.Uefi ? 'UEFI' : 'legacy BIOS'}) and be power-cycled now (powered on if off). Whatever
            runs on them is cut off. Make sure FieldBoot is serving on their network.
          </p>
          <div className="bmc-confirm-actions">
            <button
              type="button"
              className="bmc-button is-primary"
              onClick={() => {
                setConfirming(false);
                void install(selected);
              }}
              data-testid="bmc-confirm-install"
            >
              Set network boot and power-cycle {machines}
            </button>
            <button type="button" className="bmc-button" onClick={cancelConfirm} data-testid="bmc-confirm-cancel" autoFocus>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}

export function BmcScreen() {
  const api = useFieldboot((s) => s.api);
  const store = bmcStoreFor(api);
  useEffect(() => store.getState().connect(), [store]);
  const listStatus = useBmc(store, (s) => s.listStatus);
  const listError = useBmc(store, (s) => s.listError);
  const actionError = useBmc(store, (s) => s.actionError);
  const count = useBmc(store, (s) => s.bmcs.length);
  return (
    <div className="bmc-screen" data-testid="bmc-screen">
      <Panel title="Add BMCs" testId="bmc-add-panel">
        <AddBmcForm store={store} />
        <ImportCsv store={store} />
      </Panel>
      <Panel
        title={count ? `Machines (${count})` : 'Machines'}
        testId="bmc-list-panel"
        actions={
          <button type="button" className="link-button" onClick={() => void store.getState().refresh()}>
            Refresh
          </button>
        }
      >
        {actionError ? <ErrorNotice error={actionError} testId="bmc-action-error" /> : null}
        {listStatus === 'error' && listError ? <ErrorNotice error={listError} testId="bmc-list-error" /> : null}
        <Toolbar store={store} />
        <BmcTable store={store} />
      </Panel>
    </div>
  );
}
