/**
 * The whole window is the drop target: a technician drags an ISO from the file manager onto FieldBoot,
 * wherever it lands. While a file is dragged over the window a full-window hint shows; a drop hands the
 * files over and stops the browser from navigating to the file (which would leave the app).
 */
import { useEffect, useRef, useState } from 'react';

function hasFiles(e: DragEvent): boolean {
  return e.dataTransfer !== null && Array.from(e.dataTransfer.types).includes('Files');
}

export function DropOverlay({ onFiles }: { onFiles: (files: File[]) => void }) {
  const [active, setActive] = useState(false);
  // dragenter/dragleave fire for every child element crossed; count them to know when the drag left the window.
  const depth = useRef(0);
  const onFilesRef = useRef(onFiles);
  onFilesRef.current = onFiles;

  useEffect(() => {
    const enter = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current++;
      setActive(true);
    };
    const over = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      // Without this the drop event never fires.
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setActive(false);
    };
    const drop = (e: DragEvent): void => {
      depth.current = 0;
      setActive(false);
      if (!e.dataTransfer) return;
      e.preventDefault();
      const files = Array.from(e.dataTransfer.files);
      if (files.length > 0) onFilesRef.current(files);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    // Escape clears the hint should a cancelled drag leave it up (the browser normally sends dragleave).
    const key = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape') return;
      depth.current = 0;
      setActive(false);
    };
    window.addEventListener('keydown', key);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
      window.removeEventListener('keydown', key);
    };
  }, []);

  if (!active) return null;
  return (
    <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
      <div className="drop-overlay-box">
        <p className="drop-overlay-title">Drop the ISO to add it</p>
        <p className="drop-overlay-hint">FieldBoot reads it in place and tells you which OS it installs.</p>
      </div>
    </div>
  );
}
