import { BUCKET_LABELS, type BucketCounts, ON_HAND_BUCKETS } from './buckets.ts';
import { formatNumber } from './format.ts';

type Props = {
  counts: BucketCounts;
  /** The on-hand quantity that fills the whole bar, so rows of one table compare by length too. */
  scale: number;
};

/** On hand as one horizontal bar, a segment per bucket. The numbers are in the table; this is a glance. */
export function StockBar({ counts, scale }: Props) {
  const total = ON_HAND_BUCKETS.reduce((sum, b) => sum + counts[b], 0);
  const summary = ON_HAND_BUCKETS.filter((b) => counts[b] > 0)
    .map((b) => `${formatNumber(counts[b])} ${BUCKET_LABELS[b].toLowerCase()}`)
    .join(', ');
  return (
    <div className="stockbar" title={summary || 'Nothing on hand'} aria-hidden="true">
      {total > 0 &&
        ON_HAND_BUCKETS.filter((b) => counts[b] > 0).map((b) => (
          <span
            key={b}
            className={`seg seg-${b}`}
            style={{ width: `${(counts[b] / Math.max(scale, total)) * 100}%` }}
          />
        ))}
    </div>
  );
}

export function StockLegend() {
  return (
    <ul className="legend" aria-label="Bar colours">
      {ON_HAND_BUCKETS.map((b) => (
        <li key={b}>
          <span className={`swatch seg-${b}`} aria-hidden="true" />
          {BUCKET_LABELS[b]}
        </li>
      ))}
    </ul>
  );
}
