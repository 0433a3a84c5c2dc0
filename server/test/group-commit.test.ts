import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/db/group-commit.ts';
import type { Pool, PoolClient } from '../src/db/pool.ts';
import { freshDatabase } from './support.ts';

describe('group commit (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: Pool;
  beforeAll(async () => {
    db = await freshDatabase();
    pool = db.pool;
    await pool.query('create table gc_rows (id int primary key, tx bigint not null)');
  });
  afterAll(() => db.drop());

  const insert = (id: number) => async (tx: PoolClient) => {
    const { rows } = await tx.query<{ tx: string }>(
      'insert into gc_rows values ($1, txid_current()) returning tx::text',
      [id],
    );
    return rows[0]!.tx;
  };
  const committed = async (ids: number[]) =>
    (
      await pool.query<{ id: number }>('select id from gc_rows where id = any($1) order by id', [ids])
    ).rows.map((r) => r.id);

  /** A first job that holds its lane's transaction until `open` is called, so later jobs queue. */
  function holdLane(gc: GroupCommit<unknown>, key: string, id: number) {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const first = gc.run(key, async (tx) => {
      const t = await insert(id)(tx);
      await gate;
      return t;
    });
    return { first, open };
  }

  it('runs the jobs that queued behind a busy lane in one transaction, answered after its commit', async () => {
    const gc = new GroupCommit<unknown>(pool, { lanes: 1 });
    const { first, open } = holdLane(gc, 'k', 1);
    const seenAtAnswer: number[][] = [];
    const queued = [2, 3, 4].map((id) =>
      gc.run('k', insert(id)).then(async (tx) => {
        // Once a caller hears back, any other connection sees what its job wrote.
        seenAtAnswer.push(await committed([id]));
        return tx;
      }),
    );
    open();
    const [t1, ...rest] = await Promise.all([first, ...queued]);
    expect(new Set(rest).size).toBe(1); // 2, 3 and 4 shared one transaction
    expect(rest[0]).not.toBe(t1);
    expect(seenAtAnswer.sort()).toEqual([[2], [3], [4]]);
  });

  it('rolls back a failing job alone; the others of its batch commit', async () => {
    const gc = new GroupCommit<unknown>(pool, { lanes: 1 });
    const { first, open } = holdLane(gc, 'k', 10);
    const ok1 = gc.run('k', insert(11));
    const thrown = gc.run('k', async (tx) => {
      await insert(12)(tx);
      throw new Error('refused after writing');
    });
    const sqlError = gc.run('k', insert(11)); // duplicate key: the statement fails
    const ok2 = gc.run('k', insert(13));
    open();
    await first;
    const [a, b] = await Promise.all([ok1, ok2]);
    expect(a).toBe(b);
    await expect(thrown).rejects.toThrow('refused after writing');
    await expect(sqlError).rejects.toMatchObject({ code: '23505' });
    expect(await committed([10, 11, 12, 13])).toEqual([10, 11, 13]);
  });

  it('runs a job again after a deadlock only when it allows it', async () => {
    const gc = new GroupCommit<unknown>(pool, { lanes: 1 });
    const failingOnce = () => {
      let calls = 0;
      return async (tx: PoolClient) => {
        calls++;
        await tx.query('select 1');
        if (calls === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
        return calls;
      };
    };
    await expect(gc.run('k', failingOnce(), { retry: true })).resolves.toBe(2);
    await expect(gc.run('k', failingOnce())).rejects.toMatchObject({ code: '40P01' });
  });

  it('takes the locks the batch names before its first job, in one call', async () => {
    const calls: string[][] = [];
    const gc = new GroupCommit<string>(pool, {
      lanes: 1,
      lock: async (tx, locks) => {
        calls.push([...locks]);
        await tx.query('select 1');
      },
    });
    const { first, open } = holdLane(gc as GroupCommit<unknown>, 'k', 20);
    const jobs = ['b', 'a', undefined].map((lock, i) => gc.run('k', insert(21 + i), { locks: lock }));
    open();
    await Promise.all([first, ...jobs]);
    expect(calls).toEqual([['b', 'a']]); // the first batch (the held job) named none
  });

  it('answers every job of a batch with the error when its commit fails, and keeps nothing', async () => {
    await pool.query('create table gc_deferred (id int, unique (id) deferrable initially deferred)');
    const gc = new GroupCommit<unknown>(pool, { lanes: 1 });
    const { first, open } = holdLane(gc, 'k', 30);
    const own = gc.run('k', insert(31));
    // Each insert passes alone; the deferred unique check fails only at the commit.
    const twice = [1, 2].map(() => gc.run('k', (tx) => tx.query('insert into gc_deferred values (7)')));
    open();
    await first;
    for (const job of [own, ...twice]) await expect(job).rejects.toMatchObject({ code: '23505' });
    expect(await committed([31])).toEqual([]);
    expect((await pool.query('select count(*)::int as n from gc_deferred')).rows[0].n).toBe(0);
    // The lane still works afterwards.
    await gc.run('k', insert(32));
    expect(await committed([32])).toEqual([32]);
  });
});
