import { useEffect, useState } from 'react';
import { type Section, sectionFromHash } from './sections.ts';

/** The section lives in the URL hash, so reload, back/forward and links keep working without a router. */
export function useHashSection(): Section {
  const [section, setSection] = useState(() => sectionFromHash(window.location.hash));
  useEffect(() => {
    const update = () => setSection(sectionFromHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return section;
}
