import type { App, Release } from '@satusky/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { client, errorText, keys, POLL, queryClient } from '../api.ts';
import { ActionResult, Ago, ConfirmButton, ErrorNote, Loading, Section } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { useNow } from '../time.ts';

/** Every release of the app, newest first; any earlier one can be rolled back to. */
export function ReleasesPanel({ app }: { app: App }) {
  const { org } = useViewer();
  const now = useNow();
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const releases = useQuery({ queryKey: keys.releases(org, app.name), queryFn: () => client.releases(org, app.name), refetchInterval: POLL.list });
  const rollback = useMutation({
    mutationFn: (version: number) => client.rollback(org, app.name, version),
    onSuccess: async (accepted, version) => {
      setResult({ ok: true, text: `Rolled back to v${version}: new release v${accepted.release} (generation ${accepted.generation}).` });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.releases(org, app.name) }),
        queryClient.invalidateQueries({ queryKey: keys.apps(org) }),
        queryClient.invalidateQueries({ queryKey: keys.appStatus(org, app.name) }),
      ]);
    },
    onError: (e) => setResult({ ok: false, text: `Rollback refused: ${errorText(e)}` }),
  });
  const items = [...(releases.data ?? [])].sort((a, b) => b.version - a.version);
  return (
    <Section title="Releases">
      {releases.isPending ? <Loading what="releases" /> : null}
      {releases.isError ? <ErrorNote error={releases.error} /> : null}
      <ActionResult result={result} />
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="releases">
            <thead>
              <tr>
                <th scope="col">Release</th>
                <th scope="col">Why</th>
                <th scope="col">Image</th>
                <th scope="col">Placement</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.version} data-release={r.version} className={r.status === 'active' ? 'is-current' : ''}>
                  <th scope="row">
                    v{r.version} {r.status === 'active' ? <span className="badge ok">current</span> : null}
                    <div className="muted small">generation {r.generation}</div>
                  </th>
                  <td>
                    {r.reason}
                    {r.rollback_of ? <span className="muted small"> of v{r.rollback_of}</span> : null}
                  </td>
                  <td>
                    <code className="break">{r.spec.image}</code>
                    <div className="muted small">
                      {r.spec.replicas} × {r.spec.cpu_request} CPU, {r.spec.memory}
                      {r.secret_keys.length ? ` · secrets: ${r.secret_keys.join(', ')}` : ''}
                    </div>
                  </td>
                  <td className="small">{placement(r)}</td>
                  <td className="small">
                    <Ago at={r.created_at} now={now} />
                    {r.created_by ? <div className="muted">{r.created_by}</div> : null}
                  </td>
                  <td>
                    {r.status !== 'active' ? (
                      <ConfirmButton
                        label={`Roll back to v${r.version}`}
                        confirmLabel={`Yes, roll back to v${r.version}`}
                        onConfirm={() => rollback.mutate(r.version)}
                        disabled={rollback.isPending}
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Section>
  );
}

function placement(release: Release): string {
  const p = release.placement;
  const zones = p.zones.map((z) => (z.role === 'warm' ? `${z.zone} (standby)` : z.zone)).join(', ');
  return `${p.mode}: ${zones}`;
}
