import { useRef } from 'react';

/**
 * Puts focus back on the control that opened a panel once the panel closes, so
 * keyboard users are not dropped at the top of the page. `request(key)` before
 * closing; give the opener `ref={target(key)}` (a new callback each render, so
 * React calls it again after the re-render that closed the panel).
 */
export function useFocusReturn() {
  const pending = useRef<string | null>(null);
  return {
    request: (key: string) => {
      pending.current = key;
    },
    target: (key: string) => (el: HTMLElement | null) => {
      if (el && pending.current === key) {
        pending.current = null;
        el.focus();
      }
    },
  };
}
