import { KeyboardEvent, RefObject, useEffect, useRef } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/**
 * A `<dialog>` opened modal when it mounts. `showModal()` makes the page behind inert, but Tab past the last control
 * leaves the document (to the browser's toolbar), so Tab and Shift+Tab wrap around inside it. On close the focus goes
 * back to what opened it when that still shows; otherwise (a menu item whose menu closed) to `fallback`.
 */
export function useModalDialog(fallback?: () => HTMLElement | null | undefined): {
  ref: RefObject<HTMLDialogElement | null>;
  onKeyDown: (e: KeyboardEvent<HTMLDialogElement>) => void;
} {
  const ref = useRef<HTMLDialogElement>(null);
  const fallbackRef = useRef(fallback);
  fallbackRef.current = fallback;
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    ref.current?.showModal();
    return () => {
      // Closing gives the focus back to the opener if it still shows; if not, the focus fell to the body. Later
      // than React's commit, so a panel the dialog's action mounted is there to take it.
      setTimeout(() => {
        if (document.activeElement !== document.body && document.activeElement !== null) return;
        if (opener?.isConnected && opener.getClientRects().length > 0) opener.focus();
        else (fallbackRef.current?.() ?? document.querySelector<HTMLElement>('main h1'))?.focus();
      });
    };
  }, []);
  const onKeyDown = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.key !== 'Tab' || !ref.current) return;
    const inside = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => el.getClientRects().length > 0,
    );
    const first = inside[0];
    const last = inside[inside.length - 1];
    if (!first || !last) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return { ref, onKeyDown };
}
