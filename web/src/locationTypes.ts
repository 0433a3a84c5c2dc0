import type { LocationType } from './api.ts';

export const LOCATION_TYPES: Record<LocationType, string> = {
  warehouse: 'Warehouse',
  store: 'Store',
  '3pl': '3PL',
  dropship_supplier: 'Drop-ship supplier',
};

/** The API types the field as a plain string where it joins another table; unknown ones show as sent. */
export const locationTypeLabel = (type: string | null) =>
  type === null ? '—' : (LOCATION_TYPES[type as LocationType] ?? type);
