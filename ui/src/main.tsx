// The console's shell: sign-in with an API key, then the pages the key's role may use (the API's own
// roles: a page whose calls would be refused is not offered).
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { forgetKey, storedKey, storeKey, whoAmI } from './api';
import { ErrorMessage } from './common';
import { AuditPage } from './pages/audit';
import { LimitsPage } from './pages/limits';
import { OverviewPage } from './pages/overview';
import { ReviewsPage } from './pages/reviews';
import { SkillPage, SkillsPage } from './pages/skills';
import { href, navigate, useRoute } from './route';
import type { KeyIdentity, Role } from './types';

/** The signed-in key, as GET /v1/me names it. */
type Session = KeyIdentity;

const PAGES: Array<{ page: string; title: string; admin: boolean }> = [
  { page: 'overview', title: 'Overview', admin: true },
  { page: 'reviews', title: 'Reviews', admin: true },
  { page: 'skills', title: 'Skills', admin: false },
  { page: 'audit', title: 'Audit', admin: true },
  { page: 'limits', title: 'Limits', admin: true },
];

function pagesFor(role: Role) {
  return PAGES.filter((p) => !p.admin || role === 'admin');
}

function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    storeKey(key.trim());
    try {
      onSignedIn(await whoAmI());
    } catch (thrown) {
      forgetKey();
      setError(thrown as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in" tabIndex={-1}>
      <h1>Tool Executor console</h1>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <p class="hint">Kept in this tab's session storage only, and sent to this service alone.</p>
        <button type="submit" disabled={busy}>Sign in</button>
      </form>
      <ErrorMessage error={error} />
    </main>
  );
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const allowed = pagesFor(session.role);
  const current = allowed.find((p) => p.page === route.page);
  useEffect(() => {
    if (!current) navigate(href(allowed[0]!.page));
  }, [current]);
  const main = useRef<HTMLElement>(null);
  // A new page moves focus to its content, so keyboard and screen-reader users start there.
  useEffect(() => main.current?.focus(), [route.page, route.item]);
  const admin = session.role === 'admin';
  let content = null;
  switch (current?.page) {
    case undefined: break;
    case 'overview': content = <OverviewPage />; break;
    case 'reviews': content = <ReviewsPage id={route.item} />; break;
    case 'audit': content = <AuditPage params={route.params} />; break;
    case 'limits': content = <LimitsPage />; break;
    default: content = route.item ? <SkillPage name={route.item} version={route.params.get('version')} admin={admin} /> : <SkillsPage params={route.params} />;
  }
  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>Skip to content</a>
      <header class="top">
        <span class="brand">Tool Executor</span>
        <nav aria-label="Pages">
          <ul>
            {allowed.map((p) => (
              <li key={p.page}>
                <a href={href(p.page)} aria-current={p.page === route.page ? 'page' : undefined}>{p.title}</a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">Signed in as <strong>{session.id}</strong> ({session.role})</span>
        <button type="button" class="secondary" onClick={onSignOut}>Sign out</button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>{content}</main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(storedKey() !== null);
  useEffect(() => {
    if (!storedKey()) return;
    whoAmI().then(setSession, () => forgetKey()).finally(() => setChecking(false));
  }, []);
  if (checking) return <p role="status">Signing in…</p>;
  if (!session) return <SignIn onSignedIn={setSession} />;
  const signOut = () => {
    forgetKey();
    setSession(null);
  };
  return <Shell session={session} onSignOut={signOut} />;
}

render(<App />, document.getElementById('app')!);
