import pg from 'pg';
import type { Pool } from '../../db/pool.ts';
import { AppError } from '../../http/problem.ts';
import type { Logger } from '../../logger.ts';
import type { Event } from './schema.ts';
import { startSequencer } from './service.ts';
import { listEvents } from './store.ts';

/** The channel `orderly_system.sequence_events()` notifies with the highest seq it numbered. */
export const EVENTS_CHANNEL = 'orderly_events';
/** Shown in pg_stat_activity, so the one listening connection per process is easy to find. */
export const LISTENER_APPLICATION_NAME = 'orderly-events-listener';

export type StreamOptions = {
  /** Concurrent streams per process; one more is answered 503. */
  maxStreams: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  /** Events read per query while catching up. */
  batchSize: number;
};

const DEFAULTS: StreamOptions = { maxStreams: 1000, heartbeatMs: 15_000, batchSize: 500 };
const RECONNECT_MS = 1000;

type Types = { exact: string[]; prefixes: string[] } | undefined;

/** One stream client's hold on the hub: wakes when events may be there, until closed. */
export class Subscription {
  closed = false;
  private pending = true;
  private resolve: (() => void) | undefined;

  constructor(private readonly onClose: (s: Subscription) => void) {}

  wake() {
    this.pending = true;
    this.resolve?.();
  }

  /** Resolves with true when woken (or already woken since the last wait), false after `ms`. */
  wait(ms: number): Promise<boolean> {
    if (this.pending || this.closed) {
      this.pending = false;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.resolve = undefined;
        resolve(false);
      }, ms);
      this.resolve = () => {
        clearTimeout(timer);
        this.resolve = undefined;
        this.pending = false;
        resolve(true);
      };
    });
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.resolve?.();
  }
}

/**
 * Live delivery for one process: ONE listening connection, however many stream clients. A
 * notification wakes every client; each then reads its own tenant's events after its own cursor.
 * While it has at least one client, the hub also runs the sequencer loop, so an API-only process
 * numbers events promptly even when no worker runs.
 */
export class StreamHub {
  readonly options: StreamOptions;
  private readonly subs = new Set<Subscription>();
  /** Highest seq heard of: every event up to it is numbered and committed. */
  private latest = 0;
  private listener: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopSequencer: (() => Promise<void>) | undefined;
  private stopped = false;
  /** Bumped on every (re)connect of the listener: notifications may have been missed before it. */
  epoch = 0;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    options: Partial<StreamOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Clients currently streaming from this process. */
  get size() {
    return this.subs.size;
  }

  /** Registers a client, or refuses with a 503 problem when the process is full or stopping. */
  subscribe(): Subscription {
    if (this.stopped) throw new AppError('unavailable', 'This server is shutting down; reconnect shortly.');
    if (this.subs.size >= this.options.maxStreams) {
      throw new AppError(
        'unavailable',
        `This server already holds ${this.options.maxStreams} event streams; retry later or on another server.`,
        { headers: { 'retry-after': '5' } },
      );
    }
    const sub = new Subscription((s) => this.unsubscribe(s));
    this.subs.add(sub);
    if (!this.stopSequencer) this.stopSequencer = startSequencer(this.pool, this.log);
    return sub;
  }

  private unsubscribe(sub: Subscription) {
    this.subs.delete(sub);
    if (this.subs.size === 0 && this.stopSequencer) {
      const stop = this.stopSequencer;
      this.stopSequencer = undefined;
      void stop();
    }
  }

  /** Connects the listener if it is not connected yet; streams call this before their first read. */
  ensureListening(): Promise<void> {
    if (this.listener || this.stopped) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect() {
    const opts = this.pool.options;
    const client = new pg.Client({
      connectionString: opts.connectionString,
      host: opts.host,
      port: opts.port,
      user: opts.user,
      password: opts.password,
      database: opts.database,
      application_name: LISTENER_APPLICATION_NAME,
    });
    const lost = (err?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.log.warn({ err: err?.message }, 'event listener connection lost; reconnecting');
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        if (this.subs.size > 0) this.ensureListening().catch(() => undefined);
      }, RECONNECT_MS);
    };
    client.on('notification', (msg) => {
      const seq = Number(msg.payload);
      if (Number.isFinite(seq) && seq > this.latest) this.latest = seq;
      for (const s of this.subs) s.wake();
    });
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`listen ${EVENTS_CHANNEL}`);
    } catch (err) {
      client.end().catch(() => undefined);
      this.log.warn({ err: (err as Error).message }, 'event listener could not connect');
      if (!this.stopped) {
        this.reconnectTimer = setTimeout(() => {
          this.reconnectTimer = undefined;
          if (this.subs.size > 0) this.ensureListening().catch(() => undefined);
        }, RECONNECT_MS);
      }
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.epoch++;
    // Notifications sent while no one listened are gone: every client reads once to catch up.
    for (const s of this.subs) s.wake();
  }

  /**
   * Reads the next events for one client: those after `scanned`, in order. Returns where the
   * client has now looked up to. Reading stops at the batch size; otherwise the client has seen
   * everything up to the `latest` captured before the query (those events had committed, so the
   * query saw them), which lets a client with a narrow filter skip ahead without re-reading.
   */
  async read(tenantId: string, scanned: number, types: Types): Promise<{ events: Event[]; scanned: number }> {
    const bound = this.latest;
    const events = await listEvents(this.pool, tenantId, scanned, types, this.options.batchSize);
    const last = events.at(-1)?.seq ?? scanned;
    return {
      events,
      scanned: events.length === this.options.batchSize ? last : Math.max(last, bound, scanned),
    };
  }

  /** Whether events beyond `scanned` are known to exist (a notification said so). */
  behind(scanned: number) {
    return this.latest > scanned;
  }

  /** Closes every stream and the listener; the HTTP server can then close its connections. */
  async stop() {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const s of [...this.subs]) s.close();
    await this.connecting?.catch(() => undefined);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    const stop = this.stopSequencer;
    this.stopSequencer = undefined;
    await stop?.();
  }
}

const hubs = new WeakMap<Pool, StreamHub>();

/** The process's hub for this pool, made on first use. */
export function streamHub(pool: Pool, log: Logger): StreamHub {
  let hub = hubs.get(pool);
  if (!hub) {
    hub = new StreamHub(pool, log);
    hubs.set(pool, hub);
  }
  return hub;
}

/** For shutdown: ends every stream and the listening connection, before the pool ends. */
export async function stopStreams(pool: Pool) {
  await hubs.get(pool)?.stop();
}
