export type SectionId =
  | 'overview'
  | 'orders'
  | 'inventory'
  | 'network'
  | 'integrations'
  | 'webhooks'
  | 'analytics'
  | 'users';

export type Section = {
  id: SectionId;
  label: string;
  /** For sections whose module is not built yet: what will appear here, and when. */
  pending?: string;
};

export const SECTIONS: Section[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'orders', label: 'Orders' },
  { id: 'inventory', label: 'Inventory' },
  { id: 'network', label: 'Network' },
  {
    id: 'integrations',
    label: 'Integrations',
    pending: 'Sales channels and other connected systems arrive with the integrations module.',
  },
  {
    id: 'webhooks',
    label: 'Webhooks',
    pending: 'Webhook endpoints and their deliveries arrive with the webhooks module.',
  },
  {
    id: 'analytics',
    label: 'Analytics',
    pending: 'Reports arrive with the analytics module, once there are orders to report on.',
  },
  { id: 'users', label: 'Users & keys' },
];

/** `#/inventory/TEE-BLK-M`, `#/orders/ord_…`: the section, then what in it, each part URL-encoded. */
export type HashRoute = { section: Section; rest: string[] };

export function routeFromHash(hash: string): HashRoute {
  const [id, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const section = SECTIONS.find((s) => s.id === id);
  if (!section) return { section: SECTIONS[0]!, rest: [] };
  return { section, rest: rest.filter(Boolean).map(decodePart) };
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export const sectionHref = (id: SectionId, ...rest: string[]) =>
  ['#', id, ...rest.map(encodeURIComponent)].join('/');
