import type { RefObject } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";

const OVERSCAN = 6;

/**
 * The rows of a long list worth rendering: those in the scroll container's viewport, plus a few on each
 * side. Lists of thousands (connections) render a few dozen rows.
 */
export function useVirtualWindow(scroller: RefObject<HTMLElement>, count: number, rowHeight: number) {
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(400);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = () => setViewport(element.clientHeight || 400);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [scroller]);

  const onScroll = useCallback(() => {
    const element = scroller.current;
    if (element) setScrollTop(element.scrollTop);
  }, [scroller]);

  /** Scrolls just enough to show row `index`. */
  const reveal = useCallback(
    (index: number) => {
      const element = scroller.current;
      if (!element || index < 0) return;
      const top = index * rowHeight;
      if (top < element.scrollTop) element.scrollTop = top;
      else if (top + rowHeight > element.scrollTop + element.clientHeight)
        element.scrollTop = top + rowHeight - element.clientHeight;
    },
    [scroller, rowHeight],
  );

  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const end = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + OVERSCAN);
  return { start, end, total: count * rowHeight, onScroll, reveal };
}
