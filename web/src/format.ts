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

const money = new Map<string, Intl.NumberFormat>();

/** "$1,234.50": an amount in its order's currency. */
export function formatMoney(amount: number, currency: string): string {
  let format = money.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      return `${amount.toFixed(2)} ${currency}`;
    }
    money.set(currency, format);
  }
  return format.format(amount);
}

const day = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});

/** "Tue, Jan 6": a calendar day (`YYYY-MM-DD`), the same wherever the browser is. */
export const formatDay = (date: string) => day.format(new Date(`${date.slice(0, 10)}T00:00:00Z`));
