const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
const integer = new Intl.NumberFormat();

export const formatDate = (iso: string) => dateTime.format(new Date(iso));

export const formatNumber = (n: number) => integer.format(n);

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "2 min. ago", "yesterday": how long ago, in the largest unit that fits. */
export function formatAgo(iso: string, now = Date.now()): string {
  // A server clock slightly ahead of this one would otherwise read "in 2 sec.".
  let amount = Math.min(0, (new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return relative.format(Math.trunc(amount), unit);
    amount /= size;
  }
  return formatDate(iso);
}
