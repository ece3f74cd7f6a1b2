/**
 * The image library: drop an ISO (anywhere on the window, see DropOverlay) or choose one, and it is
 * listed with the OS FieldBoot found in it. Web mode uploads the file (with progress); the desktop app
 * adds it by path. A file that is not an ISO is refused with the reader's reason, and nothing is added.
 */
import { useRef } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Panel } from '../../components/Panel';
import { formatBytes } from '../../components/format';
import { useFieldboot, useFieldbootActions } from '../../store/store-context';
import { ImageCard } from './ImageCard';

export function ImagesScreen({ mode }: { mode: 'desktop' | 'web' }) {
  const images = useFieldboot((s) => s.images);
  const status = useFieldboot((s) => s.imagesStatus);
  const listError = useFieldboot((s) => s.imagesError);
  const pending = useFieldboot((s) => s.pendingImages);
  const refusals = useFieldboot((s) => s.imageRefusals);
  const { addImageFiles, removeImage, recheckImage, dismissImageRefusal, refreshImages } = useFieldbootActions();
  const input = useRef<HTMLInputElement>(null);

  return (
    <div className="images-screen" data-testid="images-screen">
      <Panel
        title="OS images"
        testId="images-panel"
        actions={
          <button type="button" className="link-button" onClick={() => void refreshImages()}>
            Refresh
          </button>
        }
      >
        <div className="drop-zone" data-testid="image-drop-zone">
          <div className="drop-zone-text">
            <p className="drop-zone-title">Drag an installer ISO onto the window</p>
            <p className="muted">
              Rocky, Alma, RHEL, CentOS, Fedora, Debian or Ubuntu. For a Debian DVD or netinst image, add Debian&apos;s netboot.tar.gz of the same release too.{' '}
              {mode === 'web' ? 'It is uploaded to the machine running FieldBoot, then checked.' : 'It is read where it is; nothing is copied.'}
            </p>
          </div>
          <button type="button" className="choose-button" onClick={() => input.current?.click()} data-testid="image-choose">
            Choose ISO…
          </button>
          <input
            ref={input}
            type="file"
            accept=".iso,.img,.tar.gz,.tgz,application/x-iso9660-image,application/gzip"
            multiple
            className="visually-hidden"
            tabIndex={-1}
            aria-label="ISO files to add"
            data-testid="image-file-input"
            onChange={(e) => {
              const files = Array.from(e.currentTarget.files ?? []);
              // Reset so choosing the same file again fires a change.
              e.currentTarget.value = '';
              if (files.length > 0) void addImageFiles(files);
            }}
          />
        </div>

        {pending.map((p) => {
          const pct = p.totalBytes > 0 ? Math.min(100, Math.round((p.sentBytes / p.totalBytes) * 100)) : 0;
          return (
            <div className="pending-image" key={p.key} data-testid="image-pending" data-phase={p.phase} role="status">
              <div className="pending-text">
                <span className="mono">{p.fileName}</span>
                <span className="muted">
                  {p.phase === 'uploading' ? `Uploading ${formatBytes(p.sentBytes)} of ${formatBytes(p.totalBytes)} (${pct}%)` : 'Checking the image…'}
                </span>
              </div>
              <div className="progress" aria-hidden="true">
                <div className={`progress-bar${p.phase === 'checking' ? ' is-pulsing' : ''}`} style={{ width: `${p.phase === 'checking' ? 100 : pct}%` }} />
              </div>
            </div>
          );
        })}

        {refusals.map((r) => (
          <div className="image-refusal" key={r.key}>
            <ErrorNotice error={r.error} testId="image-error" />
            <button type="button" className="link-button" onClick={() => dismissImageRefusal(r.key)} aria-label={`Dismiss the message about ${r.fileName}`}>
              Dismiss
            </button>
          </div>
        ))}

        {listError ? <ErrorNotice error={listError} testId="images-list-error" /> : null}
        {status === 'ready' && images.length === 0 && pending.length === 0 ? (
          <p className="muted empty-images" data-testid="images-empty">
            No images yet. Add the ISO of the OS you want to install.
          </p>
        ) : null}
        {images.length > 0 ? (
          <ul className="image-list" data-testid="image-list">
            {/* Newest first: what was just dropped is at the top, in view on a laptop screen. */}
            {[...images].reverse().map((image) => (
              <ImageCard key={image.id} image={image} onRemove={() => void removeImage(image.id)} onRecheck={() => void recheckImage(image.id)} />
            ))}
          </ul>
        ) : null}
      </Panel>
    </div>
  );
}
