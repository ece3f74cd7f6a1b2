/** One image of the library: what it installs, how it boots, what to know, and a way to remove it. */
import type { LibraryImage } from '../../../../shared/model/library-image';
import { formatBytes } from '../../components/format';
import { answerFormatLabel, firmwareLabel, osTitle, ramLabel } from './image-labels';

export function ImageCard({ image, onRemove, onRecheck }: { image: LibraryImage; onRemove: () => void; onRecheck: () => void }) {
  const s = image.summary;
  const warnings = [...image.warnings, ...s.warnings];
  const ram = ramLabel(s.minRamMb);
  const state = image.missing ? 'missing' : image.changed ? 'changed' : 'ok';
  return (
    <li className={`image-card is-${state}`} data-testid="image-row" data-id={image.id} data-family={s.family} data-state={state}>
      <div className="image-head">
        <div className="image-title">
          <span className="image-os" data-testid="image-os">
            {osTitle(s)}
          </span>
          {s.arch ? (
            <span className="chip" data-testid="image-arch">
              {s.arch}
            </span>
          ) : null}
          {s.variant ? <span className="chip chip-quiet">{s.variant}</span> : null}
          {image.missing ? <span className="chip chip-bad">File missing</span> : null}
          {image.changed ? <span className="chip chip-warn">File changed</span> : null}
        </div>
        <div className="image-actions">
          {image.changed ? (
            <button type="button" className="link-button" onClick={onRecheck} data-testid="image-recheck">
              Re-check
            </button>
          ) : null}
          <button
            type="button"
            className="link-button danger"
            onClick={onRemove}
            data-testid="image-remove"
            title={image.origin === 'upload' ? 'Remove from the list and delete the uploaded copy' : 'Remove from the list (the file stays where it is)'}
          >
            Remove
          </button>
        </div>
      </div>
      <p className="image-file">
        <span className="mono" title={image.path}>
          {image.fileName}
        </span>
        <span className="dot-sep" aria-hidden="true">
          ·
        </span>
        <span data-testid="image-size">{formatBytes(image.size)}</span>
        <span className="dot-sep" aria-hidden="true">
          ·
        </span>
        <span className="muted">
          id <span className="mono">{image.id}</span>
        </span>
      </p>
      {image.netboot ? (
        <dl className="image-facts">
          <div>
            <dt>Netboot kernels</dt>
            <dd className="mono" data-testid="image-netboot-kernels">
              {image.netboot.kernels.map((k) => `${k.arch} ${k.kernelVersion ?? '(version unknown)'}`).join(', ')}
            </dd>
          </div>
        </dl>
      ) : (
      <dl className="image-facts">
        <div>
          <dt>Firmware</dt>
          <dd data-testid="image-firmware">{firmwareLabel(s.firmware)}</dd>
        </div>
        <div>
          <dt>Answer file</dt>
          <dd data-testid="image-answer">{answerFormatLabel(s.answerFormat)}</dd>
        </div>
        <div>
          <dt>Clients need</dt>
          <dd>{ram ?? 'Unknown'}</dd>
        </div>
        <div>
          <dt>Kernel</dt>
          <dd className="mono" title={s.initrd ?? undefined}>
            {s.kernel ?? 'Not found'}
          </dd>
        </div>
      </dl>
      )}
      {s.notes.length > 0 && image.netboot ? (
        <p className="field-help" data-testid="image-netboot-note">
          {s.notes[0]}
        </p>
      ) : null}
      {warnings.length > 0 ? (
        <ul className="image-warnings" data-testid="image-warnings">
          {warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
      {s.notes.length > 0 ? (
        <ul className="image-notes" data-testid="image-notes">
          {s.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}
