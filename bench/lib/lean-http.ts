import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A minimal HTTP/1.1 client for load generation, in the spirit of wrk: each request's bytes are
 * built once, connections are kept alive and reused, and an answer is read by its Content-Length.
 * `fetch` builds streams, headers and response objects for every request; in the generator's
 * thread their garbage collection paused it for 5-14 ms at a time, and every pause counted as
 * the server's latency. It speaks only what the benchmark needs: no redirects, no chunked answers
 * (an answer without Content-Length is an error), one request at a time per connection.
 */
export type Answer = { status: number; body: string };

/** Request bytes for a POST of `body` to `url`, with `headers`. */
export function postBytes(url: URL, headers: Record<string, string>, body: string): Buffer {
  const payload = Buffer.from(body);
  const head = [
    `POST ${url.pathname}${url.search} HTTP/1.1`,
    `host: ${url.host}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `content-length: ${payload.length}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

/** Keep-alive connections to one server; a request takes an idle one or opens another. */
export function leanClient(url: URL) {
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  return {
    async send(bytes: Buffer): Promise<Answer> {
      let conn = idle.pop();
      // The server closes a connection idle for 5 s (Keep-Alive: timeout=5); leave before it does.
      while (conn && (conn.closed || performance.now() - conn.idleSince > IDLE_MS)) {
        conn.destroy();
        conn = idle.pop();
      }
      if (!conn) {
        conn = new Connection(url.hostname, Number(url.port));
        all.add(conn);
        conn.onClose = () => all.delete(conn!);
      }
      const answer = await conn.send(bytes);
      if (!conn.closed) idle.push(conn);
      return answer;
    },
    close() {
      for (const conn of all) conn.destroy();
      idle.length = 0;
    },
  };
}

const IDLE_MS = 4_000;
const HEAD_END = Buffer.from('\r\n\r\n');

class Connection {
  closed = false;
  idleSince = 0;
  onClose = () => {};
  private readonly socket: Socket;
  private received: Buffer | undefined;
  private pending: { resolve: (a: Answer) => void; reject: (e: Error) => void } | undefined;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    const lost = (err?: Error) => {
      this.markClosed();
      this.fail(err ?? new Error('the connection closed before the answer'));
    };
    this.socket.on('error', lost);
    this.socket.on('close', () => lost());
  }

  send(bytes: Buffer): Promise<Answer> {
    if (this.pending) throw new Error('one request at a time per connection');
    return new Promise<Answer>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(bytes);
    });
  }

  destroy() {
    this.markClosed();
    this.socket.destroy();
  }

  private markClosed() {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  private fail(err: Error) {
    const pending = this.pending;
    this.pending = undefined;
    this.received = undefined;
    pending?.reject(err);
  }

  private read(chunk: Buffer) {
    const data = this.received ? Buffer.concat([this.received, chunk]) : chunk;
    const headEnd = data.indexOf(HEAD_END);
    if (headEnd < 0) {
      this.received = data;
      return;
    }
    const head = data.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (length === undefined) {
      this.fail(new Error('an answer without Content-Length'));
      this.destroy();
      return;
    }
    const end = headEnd + HEAD_END.length + Number(length);
    if (data.length < end) {
      this.received = data;
      return;
    }
    this.received = undefined;
    if (/\r\nconnection: *close/i.test(head)) this.destroy();
    this.idleSince = performance.now();
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve({
      status: Number(head.slice(9, 12)),
      body: data.toString('utf8', headEnd + HEAD_END.length, end),
    });
  }
}
