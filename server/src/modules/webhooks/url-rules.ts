import dns from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Where a webhook may point. Only http and https. The host is resolved (`dns.lookup`, as the
 * connection itself will) and every address it resolves to must be public: loopback, private
 * (RFC 1918), shared (RFC 6598), link-local, unique-local, unspecified, multicast and broadcast
 * addresses are the tenant's (or our) internal network and are refused unless the tenant's
 * `allow_private_webhook_urls` setting is on. This server itself (its port on a local address or
 * on its configured host) is refused always: a delivery to ourselves could only loop.
 *
 * The rule runs when an endpoint is created or changed, before each batch of deliveries (a drain
 * sends up to a few seconds' worth), and once more inside each new connection's own lookup
 * (`guardedLookup`), so a name that resolved to a public address at creation and to an internal
 * one later (DNS rebinding) is refused at send time.
 */

export type UrlPolicy = {
  allow_private: boolean;
  /** This server's port and configured host, to refuse pointing a webhook at ourselves. */
  self_port: number;
  self_host: string;
};

export type Refused = {
  ok: false;
  code: 'invalid' | 'scheme' | 'credentials' | 'unresolved' | 'private' | 'self';
  message: string;
};
export type UrlVerdict = { ok: true; url: URL; addresses: string[] } | Refused;

const internal = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // unspecified / "this network"
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // RFC 6598 shared address space (carrier NAT, often internal)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // RFC 1918
  ['192.168.0.0', 16], // RFC 1918
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
] as const)
  internal.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still internal)
  ['ff00::', 8], // multicast
] as const)
  internal.addSubnet(net, prefix, 'ipv6');

const LOOPBACK_OR_ANY = new BlockList();
LOOPBACK_OR_ANY.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_OR_ANY.addSubnet('0.0.0.0', 8, 'ipv4');
LOOPBACK_OR_ANY.addAddress('::1', 'ipv6');
LOOPBACK_OR_ANY.addAddress('::', 'ipv6');

/** `::ffff:127.0.0.1` and `::ffff:7f00:1` are IPv4 addresses in IPv6 clothing: judge the IPv4 one. */
export function unmapIPv4(address: string): string {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (hex) {
    const hi = Number.parseInt(hex[1]!, 16);
    const lo = Number.parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return a;
}

/** True for the addresses a tenant may only use with `allow_private_webhook_urls`. */
export function isInternalAddress(address: string): boolean {
  const a = unmapIPv4(address);
  const family = isIP(a);
  if (family === 0) return true; // not an address at all: never trust it
  return internal.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

function localAddresses(): Set<string> {
  const set = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) set.add(unmapIPv4(i.address));
  }
  return set;
}

/** True when (address, port) is this server: its port on loopback, any, or one of our interfaces. */
export function isSelf(address: string, port: number, hostname: string, policy: UrlPolicy): boolean {
  if (port !== policy.self_port) return false;
  const a = unmapIPv4(address);
  const family = isIP(a);
  if (family !== 0 && LOOPBACK_OR_ANY.check(a, family === 4 ? 'ipv4' : 'ipv6')) return true;
  if (localAddresses().has(a)) return true;
  const self = policy.self_host.toLowerCase();
  return self !== '0.0.0.0' && self !== '::' && (hostname === self || a === unmapIPv4(self));
}

const defaultPort = (url: URL) => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);

/** Why (address, port) may not be used under this policy, or undefined when it may. */
export function refusal(address: string, port: number, hostname: string, policy: UrlPolicy) {
  if (isSelf(address, port, hostname, policy)) {
    return { code: 'self' as const, message: `points at this Orderly server (${address}:${port})` };
  }
  if (!policy.allow_private && isInternalAddress(address)) {
    return {
      code: 'private' as const,
      message: `resolves to an internal address (${address}); only public addresses are allowed unless allow_private_webhook_urls is on`,
    };
  }
  return undefined;
}

/** Parses a URL and checks it without resolving: scheme, credentials, length. */
export function parseWebhookUrl(raw: string): { ok: true; url: URL } | Refused {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, code: 'invalid', message: 'is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, code: 'scheme', message: `must be http or https, not ${url.protocol.slice(0, -1)}` };
  }
  if (url.username || url.password) {
    return {
      ok: false,
      code: 'credentials',
      message: 'must not carry credentials: receivers authenticate us by the signature',
    };
  }
  return { ok: true, url };
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/** The whole rule: parse, resolve every address, refuse internal ones and ourselves. */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<UrlVerdict> {
  const parsed = parseWebhookUrl(raw);
  if (!parsed.ok) return parsed;
  const host = hostOf(parsed.url);
  const port = defaultPort(parsed.url);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch (err) {
      return {
        ok: false,
        code: 'unresolved',
        message: `host ${host} could not be resolved (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      };
    }
  }
  for (const a of addresses) {
    const refused = refusal(a, port, host, policy);
    if (refused) return { ok: false, ...refused };
  }
  return { ok: true, url: parsed.url, addresses };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: unknown, family?: number) => void;

/**
 * A `lookup` for the connection itself: resolves like dns.lookup and fails the connection when
 * any address is refused, so what we check is what we connect to.
 */
export function guardedLookup(policy: UrlPolicy, port: number) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, undefined);
      for (const a of addresses) {
        const refused = refusal(a.address, port, hostname.toLowerCase(), policy);
        if (refused) {
          const e: NodeJS.ErrnoException = new Error(`refused by the webhook URL rule: ${refused.message}`);
          e.code = 'EWEBHOOKURL';
          return callback(e, undefined);
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), undefined);
      callback(null, first.address, first.family);
    });
  };
}
