import { useEffect, useState } from 'react';
import { type HashRoute, routeFromHash } from './sections.ts';

/** The section lives in the URL hash, so reload, back/forward and links keep working without a router. */
export function useHashSection(): HashRoute {
  const [route, setRoute] = useState(() => routeFromHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(routeFromHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
