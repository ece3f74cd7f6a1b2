/**
 * The answer-file wizard: saved profiles on top, the steps on the left, the step's form in the middle,
 * and the generated file (kickstart, preseed or user-data) on the right, re-rendered on every change
 * with the same generator main and `fieldboot answer render` use. Save sends the profile to main, which
 * hashes any typed password, stores the file and renders it again; the pane then says whether main's
 * copy (what is served) is the text on screen.
 */
import { useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { TARGETS } from '../../../../shared/answer/profile';
import { servingHttp } from '../../../../shared/answer/serving-context';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFieldboot } from '../../store/store-context';
import { StepForm } from './WizardSteps';
import { WizardProvider, wizardStoreFor } from './wizard-context';
import { PENDING_HASH, WIZARD_STEPS, profileForPreview, renderPreview, stepIssueCount, wizardIssues } from './wizard-model';
import type { WizardStore } from './wizard-store';

export function WizardScreen() {
  const api = useFieldboot((s) => s.api);
  const store = wizardStoreFor(api);
  return (
    <WizardProvider store={store}>
      <Wizard store={store} />
    </WizardProvider>
  );
}

function Wizard({ store }: { store: WizardStore }) {
  const s = useStore(store);
  const serving = useFieldboot((x) => x.serving);

  useEffect(() => {
    void store.getState().refreshProfiles();
  }, [store]);

  // Preselecting the target from the Images screen waits for shared/answer/image-target.ts (boot flow).
  const fromImage: string | null = null;

  const issues = useMemo(() => wizardIssues(s.draft, s.target, s.passwords), [s.draft, s.target, s.passwords]);
  const preview = useMemo(
    () => renderPreview(profileForPreview(s.draft, s.target, s.passwords), s.target, serving, s.inventory.inventory, s.previewMac),
    [s.draft, s.target, s.passwords, serving, s.inventory.inventory, s.previewMac],
  );
  const stepIndex = WIZARD_STEPS.findIndex((x) => x.id === s.step);
  const step = WIZARD_STEPS[stepIndex] ?? WIZARD_STEPS[0];
  const renderIssue = preview.ok ? [] : [{ path: preview.path, message: preview.message }];
  const allIssues = [...issues, ...renderIssue];
  const canSave = issues.length === 0 && preview.ok && !s.saving;

  return (
    <div className="wizard" data-testid="wizard-screen">
      <ProfileBar store={store} canSave={canSave} issueCount={allIssues.length} />
      <div className="wizard-body">
        <nav className="wizard-steps" aria-label="Wizard steps">
          <ol>
            {WIZARD_STEPS.map((x, i) => {
              const count = stepIssueCount(allIssues, x);
              return (
                <li key={x.id}>
                  <button
                    type="button"
                    className={`wizard-step${x.id === s.step ? ' is-current' : ''}${count ? ' has-issues' : ''}`}
                    aria-current={x.id === s.step ? 'step' : undefined}
                    data-testid={`wz-step-${x.id}`}
                    onClick={() => s.setStep(x.id)}
                  >
                    <span className="wizard-step-num" aria-hidden="true">
                      {i + 1}
                    </span>
                    <span className="wizard-step-title">{x.title}</span>
                    {count ? (
                      <span className="wizard-step-issues" aria-label={`${count} problem${count === 1 ? '' : 's'}`}>
                        {count}
                      </span>
                    ) : null}
                  </button>
                </li>
              );
            })}
          </ol>
        </nav>
        <section className="wizard-form panel" aria-labelledby="wz-step-heading" data-testid={`wz-form-${step.id}`}>
          <header className="panel-header">
            <h2 id="wz-step-heading">
              {stepIndex + 1}. {step.title}
            </h2>
            <span className="muted">
              {stepIndex + 1} of {WIZARD_STEPS.length}
            </span>
          </header>
          <div className="panel-body wizard-fields" key={`${step.id}-${s.revision}`}>
            <StepForm step={step.id} issues={allIssues} fromImage={fromImage} />
          </div>
          <footer className="wizard-nav">
            <button type="button" className="secondary-button" disabled={stepIndex <= 0} onClick={() => s.setStep(WIZARD_STEPS[stepIndex - 1]?.id ?? step.id)} data-testid="wz-back">
              Back
            </button>
            {stepIndex < WIZARD_STEPS.length - 1 ? (
              <button type="button" className="secondary-button" onClick={() => s.setStep(WIZARD_STEPS[stepIndex + 1]?.id ?? step.id)} data-testid="wz-next">
                Next: {WIZARD_STEPS[stepIndex + 1]?.title}
              </button>
            ) : (
              <button type="button" className="choose-button" disabled={!canSave} onClick={() => void s.save()}>
                Save profile
              </button>
            )}
          </footer>
        </section>
        <PreviewPane store={store} preview={preview} serving={servingHttp(serving)} />
      </div>
    </div>
  );
}

function ProfileBar({ store, canSave, issueCount }: { store: WizardStore; canSave: boolean; issueCount: number }) {
  const s = useStore(store);
  const [picked, setPicked] = useState('');
  const choice = picked && s.profiles.some((p) => p.name === picked) ? picked : (s.profiles[0]?.name ?? '');
  return (
    <div className="wizard-bar">
      <div className="wizard-bar-group">
        <label htmlFor="wz-saved">Saved profiles</label>
        <select id="wz-saved" value={choice} onChange={(e) => setPicked(e.currentTarget.value)} disabled={s.profiles.length === 0} data-testid="wz-saved">
          {s.profiles.length === 0 ? <option value="">None yet</option> : null}
          {s.profiles.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
              {p.target ? ` (${TARGETS[p.target].label})` : ''}
              {p.error ? ' (unreadable)' : ''}
            </option>
          ))}
        </select>
        <button type="button" className="secondary-button" disabled={!choice} onClick={() => void s.load(choice)} data-testid="wz-load">
          Open
        </button>
        <button type="button" className="link-button danger" disabled={!choice} onClick={() => void s.remove(choice)} data-testid="wz-delete">
          Delete
        </button>
        <button type="button" className="link-button" onClick={() => s.startNew()} data-testid="wz-new">
          New profile
        </button>
      </div>
      <div className="wizard-bar-group">
        <span className="muted" role="status" data-testid="wz-save-state">
          {s.saving ? 'Saving…' : issueCount ? `${issueCount} problem${issueCount === 1 ? '' : 's'} to fix` : s.dirty ? 'Not saved' : s.lastSaved ? `Saved as ${s.lastSaved.name}.json` : ''}
        </span>
        <button type="button" className="choose-button" disabled={!canSave} onClick={() => void s.save()} data-testid="wz-save">
          Save
        </button>
      </div>
      {s.saveError ? <ErrorNotice error={s.saveError} testId="wz-save-error" /> : null}
      {s.loadError ? <ErrorNotice error={s.loadError} testId="wz-load-error" /> : null}
      {s.profilesError ? <ErrorNotice error={s.profilesError} /> : null}
    </div>
  );
}

function PreviewPane({ store, preview, serving }: { store: WizardStore; preview: ReturnType<typeof renderPreview>; serving: { serverIp: string; httpPort: number } | null }) {
  const s = useStore(store);
  const rows = s.inventory.inventory?.rows ?? [];
  const pending = preview.ok && preview.answer.text.includes(PENDING_HASH);
  const served = s.lastSaved?.served ?? null;
  const same = served !== null && preview.ok && served.text === preview.answer.text;
  return (
    <section className="wizard-preview panel" aria-label="Answer file preview" data-testid="wz-preview">
      <header className="panel-header">
        <h2>
          {preview.ok ? preview.answer.fileName : 'Answer file'} <span className="muted wz-format">{TARGETS[s.target].label}</span>
        </h2>
        <div className="wizard-bar-group">
          <label htmlFor="wz-preview-mac" className="wz-inline-label">
            For
          </label>
          <select id="wz-preview-mac" value={s.previewMac ?? ''} onChange={(e) => s.setPreviewMac(e.currentTarget.value || null)} data-testid="wz-preview-mac">
            <option value="">any machine</option>
            {rows.map((r) => (
              <option key={r.mac} value={r.mac}>
                {r.hostname ? `${r.hostname} (${r.mac})` : r.mac}
              </option>
            ))}
          </select>
        </div>
      </header>
      <p className="wz-preview-context muted" data-testid="wz-preview-context">
        {serving
          ? `Served by FieldBoot at ${serving.serverIp}${serving.httpPort === 80 ? '' : `:${serving.httpPort}`}.`
          : 'Not serving: shown with server 127.0.0.1, as "fieldboot answer render" prints it; the served copy uses the serving address.'}
      </p>
      {pending ? (
        <p className="notice wz-notice" data-testid="wz-pending-hash">
          A password typed here shows as {PENDING_HASH}; its SHA-512 hash is made when you save.
        </p>
      ) : null}
      {s.lastSaved ? (
        served ? (
          <p className={`wz-served ${same ? 'is-same' : 'is-different'}`} data-testid="wz-served-status" data-same={same}>
            {same ? `Saved. FieldBoot serves exactly this ${served.fileName}.` : 'Saved, but the served copy differs from this preview (reload the profile).'}
          </p>
        ) : s.lastSaved.servedError ? (
          <ErrorNotice error={s.lastSaved.servedError} testId="wz-served-error" />
        ) : null
      ) : null}
      {preview.ok ? (
        <pre className="wz-preview-text" data-testid="wz-preview-text" tabIndex={0} aria-label={`Generated ${preview.answer.fileName}`}>
          {preview.answer.text}
        </pre>
      ) : (
        <div className="error-notice" role="alert" data-testid="wz-preview-error">
          <p className="error-message">
            Cannot write this file yet: {preview.path}: {preview.message}
          </p>
          <p className="error-hint">Fix the field named, or pick another target.</p>
        </div>
      )}
    </section>
  );
}
