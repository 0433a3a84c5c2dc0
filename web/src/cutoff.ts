import type { Cutoffs, Location } from './api.ts';

export type TodaysCutoff = {
  /** "14:00" in the location's time zone, or null when it ships nothing today. */
  time: string | null;
  /** Whether the cut-off has gone by, in the location's time zone. */
  passed: boolean;
  /** "Mon 09:07": the location's local time now. */
  localNow: string;
};

/**
 * Today's cut-off from the weekly schedule, "today" being the location's own date. Holidays are not
 * applied here; the server's calendar does that when it promises ship dates.
 */
export function todaysCutoff(
  location: Pick<Location, 'time_zone' | 'cutoffs'>,
  now = new Date(),
): TodaysCutoff | null {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: location.time_zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(now);
  } catch {
    return null; // a time zone this browser does not know
  }
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = part('weekday');
  const localTime = `${part('hour')}:${part('minute')}`;
  const time = location.cutoffs[weekday.toLowerCase() as keyof Cutoffs] ?? null;
  return { time, passed: time !== null && localTime >= time, localNow: `${weekday} ${localTime}` };
}
