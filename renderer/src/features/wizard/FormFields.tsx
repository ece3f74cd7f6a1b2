/**
 * Labelled inputs for the wizard: every control has a <label>, its help text and its validation
 * messages are tied to it with aria-describedby, and an invalid field says so (aria-invalid) next to
 * itself. Fields whose text differs from the value (lists, numbers) keep their own text; the step
 * remounts them when a profile is loaded.
 */
import { useId, useState, type ReactNode } from 'react';
import type { ValidationIssue } from '../../../../shared/answer/profile-validate';

function describedBy(id: string, help: ReactNode | undefined, issues: readonly ValidationIssue[]): string | undefined {
  const ids = [help ? `${id}-help` : '', issues.length ? `${id}-err` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function FieldNotes({ id, help, issues }: { id: string; help?: ReactNode; issues: readonly ValidationIssue[] }) {
  return (
    <>
      {help ? (
        <p className="field-help" id={`${id}-help`}>
          {help}
        </p>
      ) : null}
      {issues.length ? (
        <p className="field-error" id={`${id}-err`} data-testid="field-error" role="alert">
          {issues.map((i) => i.message).join('; ')}
        </p>
      ) : null}
    </>
  );
}

interface BaseProps {
  label: string;
  help?: ReactNode;
  issues?: readonly ValidationIssue[];
  testId?: string;
  disabled?: boolean;
}

export function TextField({
  label,
  value,
  onChange,
  help,
  issues = [],
  testId,
  disabled,
  placeholder,
  type = 'text',
  list,
  mono,
  autoComplete,
}: BaseProps & { value: string; onChange: (v: string) => void; placeholder?: string; type?: 'text' | 'password'; list?: string; mono?: boolean; autoComplete?: string }) {
  const id = useId();
  return (
    <div className="wz-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        placeholder={placeholder}
        list={list}
        disabled={disabled}
        className={mono ? 'mono' : undefined}
        autoComplete={autoComplete ?? 'off'}
        spellCheck={false}
        aria-invalid={issues.length > 0}
        aria-describedby={describedBy(id, help, issues)}
        data-testid={testId}
        onChange={(e) => onChange(e.currentTarget.value)}
      />
      <FieldNotes id={id} help={help} issues={issues} />
    </div>
  );
}

/** A number that may be left empty (undefined). */
export function NumberField({ label, value, onChange, help, issues = [], testId, disabled, min, max }: BaseProps & { value: number | undefined; onChange: (v: number | undefined) => void; min?: number; max?: number }) {
  const id = useId();
  const [text, setText] = useState(value === undefined ? '' : String(value));
  return (
    <div className="wz-field wz-field-short">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        value={text}
        min={min}
        max={max}
        disabled={disabled}
        aria-invalid={issues.length > 0}
        aria-describedby={describedBy(id, help, issues)}
        data-testid={testId}
        onChange={(e) => {
          const t = e.currentTarget.value;
          setText(t);
          const n = Number(t);
          onChange(t.trim() === '' || !Number.isFinite(n) ? undefined : n);
        }}
      />
      <FieldNotes id={id} help={help} issues={issues} />
    </div>
  );
}

/** A list edited as text: one item per line (commas and spaces also split, unless `lines`). */
export function ListField({ label, value, onChange, help, issues = [], testId, disabled, rows = 3, lines, placeholder }: BaseProps & { value: readonly string[]; onChange: (v: string[]) => void; rows?: number; lines?: boolean; placeholder?: string }) {
  const id = useId();
  const [text, setText] = useState(value.join('\n'));
  const split = (t: string): string[] => t.split(lines ? /\r?\n/ : /[\s,]+/).map((s) => s.trim()).filter(Boolean);
  return (
    <div className="wz-field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        rows={rows}
        value={text}
        disabled={disabled}
        placeholder={placeholder}
        spellCheck={false}
        className="mono"
        aria-invalid={issues.length > 0}
        aria-describedby={describedBy(id, help, issues)}
        data-testid={testId}
        onChange={(e) => {
          const t = e.currentTarget.value;
          setText(t);
          onChange(split(t));
        }}
      />
      <FieldNotes id={id} help={help} issues={issues} />
    </div>
  );
}

export function TextAreaField({ label, value, onChange, help, issues = [], testId, rows = 8 }: BaseProps & { value: string; onChange: (v: string) => void; rows?: number }) {
  const id = useId();
  return (
    <div className="wz-field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        rows={rows}
        value={value}
        spellCheck={false}
        className="mono"
        aria-invalid={issues.length > 0}
        aria-describedby={describedBy(id, help, issues)}
        data-testid={testId}
        onChange={(e) => onChange(e.currentTarget.value)}
      />
      <FieldNotes id={id} help={help} issues={issues} />
    </div>
  );
}

export function CheckField({ label, checked, onChange, help, issues = [], testId, disabled }: BaseProps & { checked: boolean; onChange: (v: boolean) => void }) {
  const id = useId();
  return (
    <div className="wz-field wz-check">
      <div className="wz-check-row">
        <input id={id} type="checkbox" checked={checked} disabled={disabled} aria-describedby={describedBy(id, help, issues)} data-testid={testId} onChange={(e) => onChange(e.currentTarget.checked)} />
        <label htmlFor={id}>{label}</label>
      </div>
      <FieldNotes id={id} help={help} issues={issues} />
    </div>
  );
}

export interface Choice<T extends string> {
  value: T;
  label: string;
  help?: string;
}

/** Radio buttons in a fieldset: arrow keys move between them, as a native radio group does. */
export function ChoiceField<T extends string>({ label, value, choices, onChange, issues = [], testId, help }: BaseProps & { value: T; choices: readonly Choice<T>[]; onChange: (v: T) => void }) {
  const name = useId();
  return (
    <fieldset className="wz-choices" data-testid={testId} aria-describedby={describedBy(name, help, issues)}>
      <legend>{label}</legend>
      {choices.map((c) => (
        <label key={c.value} className={`wz-choice${c.value === value ? ' is-selected' : ''}`}>
          <input type="radio" name={name} value={c.value} checked={c.value === value} onChange={() => onChange(c.value)} data-testid={testId ? `${testId}-${c.value}` : undefined} />
          <span className="wz-choice-text">
            <span className="wz-choice-title">{c.label}</span>
            {c.help ? <span className="wz-choice-help">{c.help}</span> : null}
          </span>
        </label>
      ))}
      <FieldNotes id={name} help={help} issues={issues} />
    </fieldset>
  );
}

export function SelectField<T extends string>({ label, value, options, onChange, help, issues = [], testId }: BaseProps & { value: T; options: readonly { value: T; label: string; group?: string }[]; onChange: (v: T) => void }) {
  const id = useId();
  const groups = [...new Set(options.map((o) => o.group ?? ''))];
  const optionEls = (g: string) =>
    options
      .filter((o) => (o.group ?? '') === g)
      .map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ));
  return (
    <div className="wz-field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} data-testid={testId} aria-describedby={describedBy(id, help, issues)} onChange={(e) => onChange(e.currentTarget.value as T)}>
        {groups.map((g) =>
          g ? (
            <optgroup key={g} label={g}>
              {optionEls(g)}
            </optgroup>
          ) : (
            optionEls(g)
          ),
        )}
      </select>
      <FieldNotes id={id} help={help} issues={issues} />
    </div>
  );
}
