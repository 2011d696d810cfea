import type { DomainCheck, DomainFact } from '@satusky/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { client, errorText, isApiError, isRouteMissing, keys, POLL, queryClient } from '../api.ts';
import { ActionResult, Ago, ConfirmButton, ErrorNote, Loading, Section } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { Link, navigate, useTitle } from '../router.tsx';
import { useNow } from '../time.ts';
import { DomainStatus, DomainsUnavailable } from './app-domains.tsx';

const FACT_LABEL: Record<DomainFact['fact'], string> = {
  metadata: 'Ownership',
  route: 'Route',
  dns: 'DNS',
  tls: 'TLS certificate',
  http: 'HTTP answer',
};

const FACT_STATUS_LABEL: Record<DomainFact['status'], string> = { pass: 'OK', fail: 'Failing', pending: 'Pending', unknown: 'Unknown' };

/**
 * One hostname: ownership records to create, and the `domains check` result rendered fact by fact,
 * each with what was expected, what was observed, a stable reason code and what to do about it.
 */
export function DomainPage({ hostname }: { hostname: string }) {
  const { org } = useViewer();
  useTitle(hostname, 'Domains');
  const now = useNow();
  const [probe, setProbe] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const domain = useQuery({ queryKey: keys.domain(org, hostname), queryFn: () => client.getDomain(org, hostname), refetchInterval: POLL.list });
  // The platform hostname has no domain record; only custom domains have setup records.
  const custom = domain.isSuccess;
  const setup = useQuery({ queryKey: keys.domainSetup(org, hostname), queryFn: () => client.domainSetup(org, hostname), enabled: custom });
  const check = useQuery({
    queryKey: keys.domainCheck(org, hostname, probe),
    queryFn: () => client.checkDomain(org, hostname, probe),
    enabled: !isRouteMissing(domain.error),
    // While something fails or waits, look again sooner: that is when someone is fixing DNS.
    refetchInterval: (query) => (probe ? false : query.state.data?.ok ? POLL.list * 2 : POLL.list),
  });
  const remove = useMutation({
    mutationFn: () => client.removeDomain(org, hostname),
    onSuccess: async (removed) => {
      await queryClient.invalidateQueries({ queryKey: ['domains', org] });
      setResult({ ok: true, text: `${removed.hostname} removed; reserved for this organization until ${new Date(removed.reserved_until).toLocaleString()}.` });
      const app = domain.data?.app?.name;
      navigate(app ? `/apps/${encodeURIComponent(app)}/domains` : '/apps');
    },
    onError: (e) => setResult({ ok: false, text: errorText(e) }),
  });
  const routeMissing = isRouteMissing(domain.error) || isRouteMissing(check.error);
  const notFound = isApiError(domain.error) && domain.error.code === 'SATUSKY_DOMAIN_NOT_FOUND';
  const app = domain.data?.app ?? check.data?.app ?? null;

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/apps">Apps</Link> <span aria-hidden="true">/</span>{' '}
        {app ? (
          <>
            <Link to={`/apps/${encodeURIComponent(app.name)}/domains`}>{app.name}</Link> <span aria-hidden="true">/</span>{' '}
          </>
        ) : null}
        <span>{hostname}</span>
      </nav>
      <div className="page-head">
        <div>
          <h1 className="break">{hostname}</h1>
          {domain.data ? (
            <p className="muted small">
              custom domain · <DomainStatus domain={domain.data} /> · routed by {domain.data.route_kind === 'httproute' ? 'Gateway API HTTPRoute' : 'Ingress (legacy)'}
              {domain.data.verified_at ? (
                <>
                  {' '}
                  · verified <Ago at={domain.data.verified_at} now={now} />
                </>
              ) : null}
            </p>
          ) : check.data?.kind === 'platform' ? (
            <p className="muted small">platform hostname</p>
          ) : null}
        </div>
        {custom ? <ConfirmButton label="Remove domain" danger onConfirm={() => remove.mutate()} disabled={remove.isPending} /> : null}
      </div>
      <ActionResult result={result} />
      {routeMissing ? <DomainsUnavailable /> : null}
      {domain.isError && !routeMissing && !notFound ? <ErrorNote error={domain.error} /> : null}

      {setup.data ? (
        <Section title="DNS records to create">
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Purpose</th>
                  <th scope="col">Type</th>
                  <th scope="col">Name</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {setup.data.records.map((r) => (
                  <tr key={`${r.type}-${r.name}-${r.value}`}>
                    <td>{r.purpose}</td>
                    <td>{r.type}</td>
                    <td>
                      <code className="break">{r.name}</code>
                    </td>
                    <td>
                      <code className="break">{r.value}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {setup.data.notes.map((n) => (
            <p key={n} className="small muted">
              {n}
            </p>
          ))}
        </Section>
      ) : null}

      {!routeMissing ? (
        <Section
          title="Check"
          actions={
            <>
              <label className="check">
                <input type="checkbox" checked={probe} onChange={(e) => setProbe(e.target.checked)} /> Probe live (DNS, TLS and HTTP now)
              </label>
              <button type="button" className="button" onClick={() => void check.refetch()} disabled={check.isFetching}>
                {check.isFetching ? 'Checking…' : 'Check again'}
              </button>
            </>
          }
        >
          {check.isPending && check.fetchStatus !== 'idle' ? <Loading what="the check" /> : null}
          {check.isError ? <ErrorNote error={check.error} title="The check could not run" /> : null}
          {check.data ? <CheckResult check={check.data} now={now} /> : null}
        </Section>
      ) : null}
    </div>
  );
}

export function CheckResult({ check, now }: { check: DomainCheck; now: number }) {
  const failing = check.facts.filter((f) => f.status === 'fail').length;
  return (
    <div data-testid="domain-check" data-ok={check.ok}>
      <p className={`note ${check.ok ? 'note-ok' : 'note-error'}`} role="status">
        {check.ok ? 'Every fact checks out.' : `${failing} of ${check.facts.length} facts fail.`}{' '}
        <span className="muted small">
          checked <Ago at={check.checked_at} now={now} />
          {check.probe ? ' with a live probe' : ''}
        </span>
      </p>
      <ol className="facts-list">
        {check.facts.map((f, i) => (
          <li key={`${f.fact}-${f.zone ?? ''}-${i}`} className={`fact fact-${f.status}`} data-fact={f.fact} data-fact-status={f.status} data-zone={f.zone ?? undefined}>
            <div className="fact-head">
              <span className={`badge ${f.status === 'pass' ? 'ok' : f.status === 'fail' ? 'bad' : 'warn'}`}>{FACT_STATUS_LABEL[f.status]}</span>
              <strong>{FACT_LABEL[f.fact] ?? f.fact}</strong>
              {f.zone ? <span className="pill small">{f.zone}</span> : null}
              <code className="fact-reason">{f.reason}</code>
            </div>
            <dl className="fact-body">
              <div>
                <dt>Expected</dt>
                <dd>
                  <code className="break">{f.expected || '—'}</code>
                </dd>
              </div>
              <div>
                <dt>Observed</dt>
                <dd>
                  <code className="break">{f.observed || '—'}</code>
                </dd>
              </div>
            </dl>
            {f.remediation ? (
              <p className="fact-remediation">
                <strong>What to do: </strong>
                {f.remediation}
              </p>
            ) : null}
          </li>
        ))}
      </ol>
    </div>
  );
}
