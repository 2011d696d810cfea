import type { App, AppStatus, Domain } from '@satusky/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { client, errorText, isRouteMissing, keys, POLL, queryClient } from '../api.ts';
import { ActionResult, Ago, Empty, ErrorNote, Loading, Section } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { Link } from '../router.tsx';
import { useNow } from '../time.ts';

export function DomainsUnavailable() {
  return (
    <p className="note note-info" role="status" data-testid="domains-unavailable">
      Custom domains are not available on this control plane yet (the domains API answered <code>404 SATUSKY_ROUTE_NOT_FOUND</code>). The app’s
      platform hostname works as before.
    </p>
  );
}

export function DomainStatus({ domain }: { domain: Pick<Domain, 'status'> }) {
  const tone = domain.status === 'verified' ? 'ok' : domain.status === 'pending' ? 'warn' : 'muted';
  return <span className={`badge ${tone}`}>{domain.status}</span>;
}

/**
 * The app's custom domains as its status reports them (`status.domains`): where each stands, how
 * it is routed and the last verification error; each links to its fact-by-fact check.
 */
export function DomainsSummary({ app, domains }: { app: App; domains: AppStatus['domains'] }) {
  const manage = `/apps/${encodeURIComponent(app.name)}/domains`;
  return (
    <Section title="Domains" actions={<Link to={manage}>Manage domains</Link>}>
      <div data-testid="app-domains">
        <p className="small">
          Platform hostname: <code className="break">{app.hostname}</code> ·{' '}
          <Link to={`/domains/${encodeURIComponent(app.hostname)}`}>check it</Link>
        </p>
        {domains.length === 0 ? (
          <p className="muted small">
            No custom domains. <Link to={manage}>Add one</Link>.
          </p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Custom domain</th>
                  <th scope="col">Status</th>
                  <th scope="col">Health</th>
                  <th scope="col">Routed by</th>
                  <th scope="col">Verification</th>
                </tr>
              </thead>
              <tbody>
                {domains.map((d) => (
                  <tr key={d.hostname} data-domain={d.hostname} data-domain-status={d.status}>
                    <th scope="row">
                      <Link to={`/domains/${encodeURIComponent(d.hostname)}`}>
                        <span className="break">{d.hostname}</span>
                      </Link>
                      {d.www_redirect ? <div className="muted small">www.{d.hostname} redirects here</div> : null}
                    </th>
                    <td>
                      <DomainStatus domain={d} />
                    </td>
                    <td className="small" data-domain-health={d.health}>
                      <span className={`badge ${d.health === 'ok' ? 'ok' : d.health === 'failing' ? 'bad' : d.health === 'pending' ? 'warn' : 'muted'}`}>{d.health}</span>
                      {d.problems.length > 0 ? (
                        <ul className="plain small">
                          {d.problems.map((p) => (
                            <li key={p}>{p}</li>
                          ))}
                        </ul>
                      ) : null}
                    </td>
                    <td className="small">{d.route_kind === 'httproute' ? 'HTTPRoute' : 'Ingress (legacy)'}</td>
                    <td className="small">
                      {d.last_check_error ? (
                        <span className="inline-error">{d.last_check_error}</span>
                      ) : (
                        <span className="muted">{d.status === 'verified' ? 'ownership proven' : d.status === 'pending' ? 'waiting for the TXT record' : 'removed'}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </Section>
  );
}

/** The app's hostnames: the platform one, and custom domains with their verification state. */
export function DomainsPanel({ app }: { app: App }) {
  const { org } = useViewer();
  const now = useNow();
  const [hostname, setHostname] = useState('');
  const [www, setWww] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const domains = useQuery({ queryKey: keys.domains(org, app.name), queryFn: () => client.listDomains(org, app.name), refetchInterval: POLL.list });
  const add = useMutation({
    mutationFn: () => client.addDomain(org, { hostname: hostname.trim().toLowerCase(), app: app.name, ...(www ? { www_redirect: true } : {}) }),
    onSuccess: async (domain) => {
      setResult({ ok: true, text: `${domain.hostname} added; create the DNS records shown on its page to verify it.` });
      setHostname('');
      await queryClient.invalidateQueries({ queryKey: ['domains', org] });
    },
    onError: (e) => setResult({ ok: false, text: errorText(e) }),
  });
  const missing = isRouteMissing(domains.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <Section title="Domains">
      <p>
        Platform hostname: <code>{app.hostname}</code> — <Link to={`/domains/${encodeURIComponent(app.hostname)}`}>check it fact by fact</Link>
      </p>
      {domains.isPending ? <Loading what="domains" /> : null}
      {missing ? <DomainsUnavailable /> : null}
      {domains.isError && !missing ? <ErrorNote error={domains.error} /> : null}
      {domains.data && domains.data.length === 0 ? <Empty>No custom domains.</Empty> : null}
      {domains.data && domains.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Hostname</th>
                <th scope="col">Status</th>
                <th scope="col">Last check</th>
              </tr>
            </thead>
            <tbody>
              {domains.data.map((d) => (
                <tr key={d.id} data-domain={d.hostname}>
                  <th scope="row">
                    <Link to={`/domains/${encodeURIComponent(d.hostname)}`}>{d.hostname}</Link>
                    {d.www_redirect ? <div className="muted small">www redirects here</div> : null}
                  </th>
                  <td>
                    <DomainStatus domain={d} />
                  </td>
                  <td className="small">
                    <Ago at={d.last_checked_at} now={now} />
                    {d.last_check_error ? <div className="inline-error">{d.last_check_error}</div> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {!missing ? (
        <form className="inline-form" onSubmit={submit} aria-label="Add a custom domain">
          <label className="field">
            <span>Custom hostname</span>
            <input value={hostname} onChange={(e) => setHostname(e.target.value)} placeholder="shop.example.com" required autoComplete="off" spellCheck={false} />
          </label>
          <label className="check">
            <input type="checkbox" checked={www} onChange={(e) => setWww(e.target.checked)} /> Also redirect www
          </label>
          <button type="submit" className="button" disabled={add.isPending}>
            Add domain
          </button>
        </form>
      ) : null}
      <ActionResult result={result} />
    </Section>
  );
}
