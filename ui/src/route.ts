// Hash routes (#/skills/word-count?version=1.0.0): the server serves one page, and a reload or a
// shared link lands on the same view.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** The first segment: overview, reviews, skills, audit, limits. */
  page: string;
  /** The second segment, decoded (a skill name, a review id), if any. */
  item: string | null;
  params: URLSearchParams;
}

function parseRoute(hash: string): Route {
  const text = hash.startsWith('#/') ? hash.slice(2) : '';
  const [path = '', search = ''] = text.split('?', 2);
  const [page = '', item] = path.split('/', 2);
  return { page, item: item ? decodeURIComponent(item) : null, params: new URLSearchParams(search) };
}

export function href(page: string, item?: string | null, params?: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params ?? {})) if (value) search.set(name, value);
  const tail = search.toString();
  return `#/${page}${item ? `/${encodeURIComponent(item)}` : ''}${tail ? `?${tail}` : ''}`;
}

export function navigate(to: string): void {
  location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
