/** `?active=true|false` as a filter; absent means both. */
export const flag = (v: 'true' | 'false' | undefined) => (v === undefined ? undefined : v === 'true');
