/**
 * Keyboard for a tab bar, as the WAI-ARIA Authoring Practices "Tabs" pattern has it: one tab in the Tab
 * order (the selected one, tabindex 0; the others -1), Left/Right move to the previous/next tab and wrap,
 * Home/End to the first/last. Activation follows focus (the screens switch instantly, so the pattern's
 * "automatic activation" fits). Enter and Space work as on any button.
 */
import type { KeyboardEvent } from 'react';

/** The index a key moves to from `index` among `count` tabs, or null for a key the tab bar leaves alone. */
export function rovingTarget(key: string, index: number, count: number): number | null {
  if (count <= 0) return null;
  switch (key) {
    case 'ArrowRight':
      return (index + 1) % count;
    case 'ArrowLeft':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** onKeyDown for the element with role="tablist": focuses and activates the tab the key moves to. */
export function onTabListKeyDown(e: KeyboardEvent<HTMLElement>): void {
  const tabs = Array.from(e.currentTarget.querySelectorAll<HTMLElement>('[role="tab"]'));
  const index = tabs.indexOf(e.target as HTMLElement);
  if (index < 0) return;
  const next = rovingTarget(e.key, index, tabs.length);
  if (next === null) return;
  e.preventDefault();
  const tab = tabs[next];
  tab?.focus();
  tab?.click();
}
