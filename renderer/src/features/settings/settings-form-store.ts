/**
 * The Settings screen's state: the snapshot the backend last answered, the form as typed (text per field,
 * checked by the shared validators on every keystroke), and the save in flight. Saved values apply at the
 * next start; the screen says so while serving.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbootApi } from '../../../../shared/api/fieldboot-api';
import { ErrorCode, errorInfo, type ErrorInfo } from '../../../../shared/errors';
import {
  SETTINGS_FIELDS,
  parseSettingsForm,
  settingsToForm,
  type AppSettings,
  type SettingsErrors,
  type SettingsField,
  type SettingsForm,
  type SettingsSnapshot,
} from '../../../../shared/settings';
import { DEFAULT_SETTINGS } from '../../../../shared/settings';

export interface SettingsFormState {
  status: 'loading' | 'ready' | 'error';
  loadError: ErrorInfo | null;
  snapshot: SettingsSnapshot | null;
  form: SettingsForm;
  /** The shared checks over `form`, recomputed on every change. */
  errors: SettingsErrors;
  /** The form, checked: null while any field has a problem. */
  valid: AppSettings | null;
  saving: boolean;
  saveError: ErrorInfo | null;
  /** Set by a successful save, cleared by the next edit. */
  justSaved: boolean;

  load(): Promise<void>;
  setField(field: SettingsField, value: string): void;
  /** Back to what is saved. */
  revert(): void;
  /** The defaults into the form (not saved until Save). */
  fillDefaults(): void;
  save(): Promise<void>;
}

export type SettingsFormStore = StoreApi<SettingsFormState>;

/** The form differs from the saved settings (or nothing was ever saved and it differs from what applies). */
export function isDirty(s: Pick<SettingsFormState, 'form' | 'snapshot'>): boolean {
  if (!s.snapshot) return false;
  const saved = settingsToForm(s.snapshot.settings);
  return SETTINGS_FIELDS.some((f) => s.form[f].trim() !== saved[f]);
}

const unsupported = errorInfo(ErrorCode.BadOption, 'This FieldBoot backend has no settings.', 'Update FieldBoot; the settings need settings:get and settings:set.');

export function createSettingsFormStore(api: FieldbootApi): SettingsFormStore {
  return createStore<SettingsFormState>()((set, get) => {
    const withForm = (form: SettingsForm) => {
      const { settings, errors } = parseSettingsForm(form);
      return { form, errors, valid: settings };
    };
    return {
      status: 'loading',
      loadError: null,
      snapshot: null,
      ...withForm(settingsToForm(DEFAULT_SETTINGS)),
      saving: false,
      saveError: null,
      justSaved: false,

      async load() {
        if (!api.getSettings) {
          set({ status: 'error', loadError: unsupported });
          return;
        }
        set({ status: get().snapshot ? 'ready' : 'loading' });
        const r = await api.getSettings();
        if (!r.ok) {
          set({ status: 'error', loadError: r.error });
          return;
        }
        set({ status: 'ready', loadError: null, snapshot: r.value, ...withForm(settingsToForm(r.value.settings)) });
      },

      setField(field, value) {
        set({ ...withForm({ ...get().form, [field]: value }), justSaved: false, saveError: null });
      },

      revert() {
        const snap = get().snapshot;
        if (snap) set({ ...withForm(settingsToForm(snap.settings)), saveError: null, justSaved: false });
      },

      fillDefaults() {
        const snap = get().snapshot;
        if (snap) set({ ...withForm(settingsToForm(snap.defaults)), saveError: null, justSaved: false });
      },

      async save() {
        const { valid, saving } = get();
        if (!valid || saving) return;
        if (!api.saveSettings) {
          set({ saveError: unsupported });
          return;
        }
        set({ saving: true, saveError: null });
        const r = await api.saveSettings(valid);
        if (!r.ok) {
          set({ saving: false, saveError: r.error });
          return;
        }
        set({ saving: false, snapshot: r.value, ...withForm(settingsToForm(r.value.settings)), justSaved: true });
      },
    };
  });
}
