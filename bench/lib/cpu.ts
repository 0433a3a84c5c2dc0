import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/**
 * CPU seconds used so far by this process (every thread) and by every PostgreSQL process on the
 * machine (from /proc; 0 where there is none). Two readings give cores used over a window.
 */
export function cpuSeconds() {
  const own = process.cpuUsage();
  return { node_s: (own.user + own.system) / 1e6, postgres_s: postgresSeconds(), machine: machineTicks() };
}

/** The machine's CPU ticks from /proc/stat: busy (everything but idle and iowait) and in all. */
function machineTicks() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** A process's name and CPU ticks (utime + stime) from /proc/<pid>/stat; undefined once it has ended. */
function statOf(pid: number | string) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the name: state is the 1st, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      ticks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far by these processes (from /proc; 0 for one that has ended). */
export function processSeconds(pids: readonly number[]) {
  return pids.reduce((ticks, pid) => ticks + (statOf(pid)?.ticks ?? 0), 0) / TICKS_PER_S;
}

function postgresSeconds() {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  let ticks = 0;
  for (const pid of pids) {
    const stat = statOf(pid);
    if (stat?.name === 'postgres') ticks += stat.ticks;
  }
  return ticks / TICKS_PER_S;
}

/**
 * Cores used between two readings `seconds` apart: by this process, by PostgreSQL, and the share
 * of the whole machine's CPU that was busy (whoever used it).
 */
export function coresBetween(
  a: ReturnType<typeof cpuSeconds>,
  b: ReturnType<typeof cpuSeconds>,
  seconds: number,
) {
  const total = b.machine.total - a.machine.total;
  return {
    node: (b.node_s - a.node_s) / seconds,
    postgres: (b.postgres_s - a.postgres_s) / seconds,
    machine_busy: total > 0 ? (b.machine.busy - a.machine.busy) / total : Number.NaN,
  };
}
