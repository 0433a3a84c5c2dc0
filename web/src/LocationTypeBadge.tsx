import { locationTypeLabel } from './locationTypes.ts';

export function LocationTypeBadge({ type }: { type: string | null }) {
  return <span className={`badge type-${type ?? 'unknown'}`}>{locationTypeLabel(type)}</span>;
}
