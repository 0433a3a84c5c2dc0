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
  {
    id: 'orders',
    label: 'Orders',
    pending: 'Orders arrive with the orders module: every order, its lines, status and history.',
  },
  {
    id: 'inventory',
    label: 'Inventory',
    pending: 'Stock arrives with the inventory module: on hand, reserved and available, per location.',
  },
  {
    id: 'network',
    label: 'Network',
    pending: 'Locations and carriers arrive with the network module.',
  },
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

export function sectionFromHash(hash: string): Section {
  const id = hash.replace(/^#\/?/, '');
  return SECTIONS.find((s) => s.id === id) ?? SECTIONS[0]!;
}
