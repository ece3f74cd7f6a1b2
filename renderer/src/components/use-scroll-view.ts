/**
 * The visible window of a scrolling list (scrollTop and height), measured at most once per frame on
 * scroll and resize: what a virtualized list needs to draw only the rows in view.
 */
import { useEffect, useState, type DependencyList, type RefObject } from 'react';

export interface ScrollView {
  top: number;
  height: number;
}

/** `onMeasure` runs on every measurement (the log panel uses it to know whether the reader is at the bottom). */
export function useScrollView(scroller: RefObject<HTMLElement | null>, deps: DependencyList, onMeasure?: (el: HTMLElement) => void, initialHeight = 480): ScrollView {
  const [view, setView] = useState<ScrollView>({ top: 0, height: initialHeight });
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    let frame = 0;
    const measure = (): void => {
      frame = 0;
      onMeasure?.(el);
      setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
    };
    const onScroll = (): void => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    el.addEventListener('scroll', onScroll, { passive: true });
    const resize = new ResizeObserver(onScroll);
    resize.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
    // The caller says when the element may have been replaced.
  }, deps);
  return view;
}
