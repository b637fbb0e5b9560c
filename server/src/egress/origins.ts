// Origins as a manifest lists them (SPEC §2 permissions.network): `scheme://host[:port]`, where the
// host may start with `*.` to stand for any subdomain. One parser for the control layer, the review
// and the broker, so "what the admin approved" and "what the broker lets through" cannot drift.

export interface OriginPattern {
  /** The origin as written in canonical form: lower case, default port left out. */
  text: string;
  scheme: 'http' | 'https';
  /** Lower-case host without the `*.`; an IPv6 literal without its brackets. */
  host: string;
  /** `*.example.org`: any name ending in `.example.org` (not the apex itself). */
  wildcard: boolean;
  port: number;
}

const DEFAULT_PORT = { http: 80, https: 443 } as const;
const SHAPE = /^(https?):\/\/(\*\.)?([^/?#@]+)$/i;

/** The origin text, canonical, or a sentence saying what is wrong with it. */
export function parseOrigin(text: string): OriginPattern | string {
  const shape = SHAPE.exec(text.trim());
  if (!shape) return `${JSON.stringify(text)} is not an origin: write scheme://host or scheme://host:port (http or https, no path, query or credentials), e.g. "https://api.example.com"`;
  const [, schemeText, star, hostPort] = shape as unknown as [string, string, string | undefined, string];
  const scheme = schemeText.toLowerCase() as 'http' | 'https';
  let url: URL;
  try {
    url = new URL(`${scheme}://${hostPort}`);
  } catch {
    return `${JSON.stringify(text)} has no valid host`;
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return `${JSON.stringify(text)}: an origin has no path, query or credentials`;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (star && (host.includes(':') || /^[0-9.]+$/.test(host))) return `${JSON.stringify(text)}: a wildcard stands before a domain name, not an address`;
  if (star && !host.includes('.')) return `${JSON.stringify(text)}: a wildcard needs a domain of two labels at least ("*.example.org")`;
  const port = url.port ? Number(url.port) : DEFAULT_PORT[scheme];
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const shownPort = port === DEFAULT_PORT[scheme] ? '' : `:${port}`;
  return { text: `${scheme}://${star ? '*.' : ''}${shownHost}${shownPort}`, scheme, host, wildcard: Boolean(star), port };
}

/** Parses a list known to be valid (the manifest's, checked at create); throws on a bad one. */
export function parseOrigins(list: readonly string[]): OriginPattern[] {
  return list.map((text) => {
    const origin = parseOrigin(text);
    if (typeof origin === 'string') throw new Error(origin);
    return origin;
  });
}

/** The canonical, sorted, de-duplicated texts of a list: two lists approve the same thing when these are equal. */
export function canonicalOrigins(list: readonly string[]): string[] {
  return [...new Set(parseOrigins(list).map((o) => o.text))].sort();
}

export function sameOrigins(a: readonly string[], b: readonly string[]): boolean {
  const left = canonicalOrigins(a);
  const right = canonicalOrigins(b);
  return left.length === right.length && left.every((text, i) => text === right[i]);
}

/** The scheme, host and port a URL addresses, as the broker checks them. */
export interface Target {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

export function targetOf(url: URL): Target | null {
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') return null;
  return { scheme, host: url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, ''), port: url.port ? Number(url.port) : DEFAULT_PORT[scheme] };
}

export function originMatches(pattern: OriginPattern, target: Target): boolean {
  if (pattern.scheme !== target.scheme || pattern.port !== target.port) return false;
  return pattern.wildcard ? target.host.endsWith(`.${pattern.host}`) : target.host === pattern.host;
}

export function originText(target: Target): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.scheme}://${host}${target.port === DEFAULT_PORT[target.scheme] ? '' : `:${target.port}`}`;
}
