import { useCallback, useEffect, useState, type RefObject } from 'react';

/** Tracks and toggles fullscreen for one element through the Fullscreen API. Escape leaves fullscreen as usual. */
export function useFullscreen(element: RefObject<HTMLElement | null>) {
  const [active, setActive] = useState(false);

  useEffect(() => {
    const update = () => setActive(document.fullscreenElement !== null && document.fullscreenElement === element.current);
    document.addEventListener('fullscreenchange', update);
    return () => document.removeEventListener('fullscreenchange', update);
  }, [element]);

  const toggle = useCallback(() => {
    if (document.fullscreenElement) {
      void document.exitFullscreen();
    } else {
      void element.current?.requestFullscreen().catch(() => undefined);
    }
  }, [element]);

  return { active, toggle, supported: document.fullscreenEnabled };
}
