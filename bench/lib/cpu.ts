import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/**
 * CPU seconds used so far by this process (every thread) and by every PostgreSQL process on the
 * machine (from /proc; 0 where there is none). Two readings give cores used over a window.
 */
export function cpuSeconds() {
  const own = process.cpuUsage();
  return { node_s: (own.user + own.system) / 1e6, postgres_s: postgresSeconds() };
}

function postgresSeconds() {
  let ticks = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== 'postgres') continue;
      // Fields after the name: state is the 1st, utime the 12th, stime the 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return ticks / TICKS_PER_S;
}

/** Cores used between two readings `seconds` apart. */
export function coresBetween(
  a: ReturnType<typeof cpuSeconds>,
  b: ReturnType<typeof cpuSeconds>,
  seconds: number,
) {
  return { node: (b.node_s - a.node_s) / seconds, postgres: (b.postgres_s - a.postgres_s) / seconds };
}
