import type { Me } from '@satusky/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { client, errorText, isApiError, keys, queryClient } from './api.ts';
import { ErrorNote, Loading } from './components.tsx';
import { AppPage } from './pages/app.tsx';
import { AppsPage } from './pages/apps.tsx';
import { AuditPage } from './pages/audit.tsx';
import { DomainPage } from './pages/domain.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { TeamPage } from './pages/team.tsx';
import { TokensPage } from './pages/tokens.tsx';
import { ZonesPage } from './pages/zones.tsx';
import { Link, match, navigate, takeFocusRequest, useLocation, useTitle } from './router.tsx';
import { session, useSession } from './session.ts';

export interface Viewer {
  me: Me;
  /** The organization the session acts in (its slug, used in every API path). */
  org: string;
  orgName: string;
  isAdmin: boolean;
  isPlatformAdmin: boolean;
}

const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error('useViewer outside the signed-in shell');
  return viewer;
}

export function Root() {
  const state = useSession();
  if (!state.signedIn) return <SignInPage notice={state.notice} />;
  return <SignedIn />;
}

function SignedIn() {
  const me = useQuery({ queryKey: keys.me, queryFn: () => client.me(), staleTime: 30_000, refetchInterval: 60_000 });
  if (me.isPending) {
    return (
      <main className="center-page">
        <Loading what="your session" />
      </main>
    );
  }
  if (me.isError) {
    // 401 has already sent us back to the sign-in form (api.ts); anything else is shown as is.
    return (
      <main className="center-page">
        <ErrorNote error={me.error} title="Cannot reach the control plane" />
        <button type="button" className="button" onClick={() => void me.refetch()}>
          Try again
        </button>
      </main>
    );
  }
  const viewer: Viewer = {
    me: me.data,
    org: me.data.organization.organization_slug,
    orgName: me.data.organization.organization_name,
    isAdmin: me.data.organization.role === 'admin',
    isPlatformAdmin: me.data.user.is_platform_admin,
  };
  return (
    <ViewerContext.Provider value={viewer}>
      <Shell />
    </ViewerContext.Provider>
  );
}

const NAV = [
  { to: '/apps', label: 'Apps', admin: false },
  { to: '/zones', label: 'Zones', admin: false },
  { to: '/team', label: 'Team', admin: false },
  { to: '/tokens', label: 'Tokens', admin: false },
  { to: '/audit', label: 'Audit log', admin: true },
] as const;

function Shell() {
  const viewer = useViewer();
  const { path } = useLocation();
  // The organization being switched to: the page stays unmounted until the session says we are there.
  const [switchingTo, setSwitchingTo] = useState<string | null>(null);
  useEffect(() => {
    if (switchingTo !== null && viewer.org === switchingTo) setSwitchingTo(null);
  }, [switchingTo, viewer.org]);
  useEffect(() => {
    if (path === '/' || path === '/signin') navigate('/apps', { replace: true });
  }, [path]);
  // A navigation the user made moves focus to the new content (minus the header); redirects and
  // page loads leave focus where the browser puts it, so the skip link is the first Tab stop.
  useEffect(() => {
    if (takeFocusRequest()) document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/apps" className="brand" aria-label="Satusky home">
            <img src="/favicon.svg" alt="" width="22" height="22" />
            <span>Satusky</span>
          </Link>
          <nav aria-label="Main" className="mainnav">
            <ul>
              {NAV.filter((item) => !item.admin || viewer.isAdmin).map((item) => {
                const active = path === item.to || path.startsWith(`${item.to}/`) || (item.to === '/apps' && path.startsWith('/domains/'));
                return (
                  <li key={item.to}>
                    <Link to={item.to} aria-current={active ? 'page' : undefined}>
                      {item.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
          <div className="topbar-end">
            <OrgSwitcher onSwitching={setSwitchingTo} />
            <SignOut />
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="content">
        {switchingTo !== null ? <Loading what="the organization" /> : <Routes path={path} />}
      </main>
    </div>
  );
}

function NotFound({ path }: { path: string }) {
  useTitle('Not found');
  return (
    <div className="page">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link to="/apps">Back to your apps</Link>.
      </p>
    </div>
  );
}

function Routes({ path }: { path: string }): ReactNode {
  let params: Record<string, string> | null;
  if ((params = match('/apps/:app/:tab?', path))) return <AppPage app={params.app!} tab={params.tab ?? 'overview'} />;
  if (match('/apps', path) || path === '/') return <AppsPage />;
  if ((params = match('/domains/:hostname', path))) return <DomainPage hostname={params.hostname!} />;
  if (match('/zones', path)) return <ZonesPage />;
  if (match('/team', path)) return <TeamPage />;
  if (match('/tokens', path)) return <TokensPage />;
  if (match('/audit', path)) return <AuditPage />;
  return <NotFound path={path} />;
}

/**
 * Switching organization changes what every query means: the page is unmounted while it happens
 * (so no query of the old organization refetches against the new session), the cache is emptied,
 * and the new organization's data is fetched fresh.
 */
function OrgSwitcher({ onSwitching }: { onSwitching: (org: string | null) => void }) {
  const viewer = useViewer();
  const state = useSession();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const memberships = viewer.me.memberships;
  const tokenSession = state.via === 'token';
  const switchTo = async (org: string) => {
    setPending(true);
    onSwitching(org);
    try {
      const switched = await client.switchOrganization(org);
      onSwitching(switched.slug);
      setError(null);
      await queryClient.cancelQueries();
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== keys.me[0] });
      await queryClient.refetchQueries({ queryKey: keys.me, exact: true });
      navigate('/apps');
    } catch (e) {
      setError(errorText(e));
      onSwitching(null);
    } finally {
      setPending(false);
    }
  };
  return (
    <div className="org-switcher">
      <label htmlFor="org-select" className="sr-only-narrow">
        Organization
      </label>
      <select
        id="org-select"
        value={viewer.me.organization.organization_slug}
        disabled={pending || memberships.length < 2 || tokenSession}
        title={tokenSession ? 'Signed in with an API token: the session stays in that token’s organization.' : undefined}
        onChange={(event) => void switchTo(event.target.value)}
      >
        {memberships.map((m) => (
          <option key={m.membership_id} value={m.organization_slug}>
            {m.organization_name} ({m.role})
          </option>
        ))}
      </select>
      {error ? (
        <span className="inline-error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}

function SignOut() {
  const viewer = useViewer();
  const signOut = useMutation({
    mutationFn: () => client.endSession(),
    onSettled: (_data, error) => {
      // Signed out locally even when the server had already forgotten the session.
      if (error && !(isApiError(error) && error.status === 401)) {
        session.signedOut(`Signed out here; the server said: ${errorText(error)}`);
      } else {
        session.signedOut('You have signed out.');
      }
      queryClient.clear();
    },
  });
  return (
    <div className="who">
      <span className="who-email" title={viewer.me.user.email}>
        {viewer.me.user.email}
      </span>
      <button type="button" className="button ghost" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
        Sign out
      </button>
    </div>
  );
}
