import type { ErrorInfo } from '../../../shared/errors';

/** What went wrong, then what to do about it: the hint is the part a technician acts on. */
export function ErrorNotice({ error, testId }: { error: ErrorInfo; testId?: string }) {
  return (
    <div className="error-notice" role="alert" data-testid={testId} data-code={error.code}>
      <p className="error-message">{error.message}</p>
      <p className="error-hint">{error.hint}</p>
    </div>
  );
}
