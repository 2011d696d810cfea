import type { ApiToken, CreatedApiToken } from '@satusky/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { client, errorText, keys, POLL, queryClient } from '../api.ts';
import { ActionResult, Ago, ConfirmButton, Empty, ErrorNote, Loading, Section } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { useTitle } from '../router.tsx';
import { formatTime, useNow } from '../time.ts';

/** API tokens: created here and shown once, then only their hint; disable, enable, revoke. */
export function TokensPage() {
  const { org, orgName, isAdmin } = useViewer();
  useTitle('API tokens');
  const now = useNow();
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const tokens = useQuery({ queryKey: keys.tokens(org, isAdmin), queryFn: () => client.listTokens(org, { all: isAdmin }), refetchInterval: POLL.list });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['tokens', org] });
  const update = useMutation({
    mutationFn: ({ token, enabled }: { token: ApiToken; enabled: boolean }) => client.updateToken(org, token.id, { enabled }),
    onSuccess: async (token) => {
      setResult({ ok: true, text: `${token.name} is ${token.enabled ? 'enabled' : 'disabled'}.` });
      await refresh();
    },
    onError: (e) => setResult({ ok: false, text: errorText(e) }),
  });
  const revoke = useMutation({
    mutationFn: (token: ApiToken) => client.deleteToken(org, token.id),
    onSuccess: async (_deleted, token) => {
      setResult({ ok: true, text: `${token.name} was revoked; it is refused from the next request on.` });
      await refresh();
    },
    onError: (e) => setResult({ ok: false, text: errorText(e) }),
  });

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>API tokens</h1>
          <p className="muted">
            {orgName} · {isAdmin ? 'every member’s tokens' : 'your tokens'} · for <code>1ctl</code> and automation
          </p>
        </div>
      </div>
      {created ? <CreatedToken token={created} onDone={() => setCreated(null)} /> : null}
      <CreateForm
        org={org}
        onCreated={(token) => {
          setResult(null);
          setCreated(token);
        }}
        onError={(text) => setResult({ ok: false, text })}
      />
      <ActionResult result={result} />
      <Section title="Tokens">
        {tokens.isPending ? <Loading what="tokens" /> : null}
        {tokens.isError ? <ErrorNote error={tokens.error} /> : null}
        {tokens.data && tokens.data.length === 0 ? <Empty>No tokens.</Empty> : null}
        {tokens.data && tokens.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Token</th>
                  <th scope="col">Status</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.data.map((t) => (
                  <tr key={t.id} data-token={t.name}>
                    <th scope="row">
                      {t.name}
                      <div className="muted small">
                        <code>{t.hint}</code> · {t.user_email}
                      </div>
                    </th>
                    <td>
                      <span className={`badge ${t.status === 'active' ? 'ok' : t.status === 'disabled' ? 'muted' : 'warn'}`}>{t.status}</span>
                    </td>
                    <td className="small">{t.expires_at ? formatTime(t.expires_at) : 'never'}</td>
                    <td className="small">
                      <Ago at={t.last_used_at} now={now} />
                    </td>
                    <td>
                      <div className="row-actions">
                        <button type="button" className="button ghost" disabled={update.isPending} onClick={() => update.mutate({ token: t, enabled: !t.enabled })}>
                          {t.enabled ? 'Disable' : 'Enable'}
                        </button>
                        <ConfirmButton label="Revoke" confirmLabel={`Revoke ${t.name}`} danger disabled={revoke.isPending} onConfirm={() => revoke.mutate(t)} />
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>
    </div>
  );
}

function CreateForm({ org, onCreated, onError }: { org: string; onCreated: (token: CreatedApiToken) => void; onError: (text: string) => void }) {
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const create = useMutation({
    mutationFn: () => client.createToken(org, { name: name.trim(), ...(days.trim() ? { expires_in_days: Number(days) } : {}) }),
    onSuccess: async (token) => {
      setName('');
      onCreated(token);
      await queryClient.invalidateQueries({ queryKey: ['tokens', org] });
    },
    onError: (e) => onError(errorText(e)),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Section title="Create a token">
      <form className="inline-form" onSubmit={submit} aria-label="Create a token">
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoComplete="off" placeholder="ci" />
        </label>
        <label className="field">
          <span>Expires in (days, 0 = never)</span>
          <input type="number" min={0} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <button type="submit" className="button primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
    </Section>
  );
}

/** The only time a token's value is on screen: it lives in this component's state, nowhere else. */
function CreatedToken({ token, onDone }: { token: CreatedApiToken; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied('Copied.');
    } catch {
      setCopied('Copying is not allowed here; select the token and copy it by hand.');
    }
  };
  return (
    <div className="note note-secret" role="status" data-testid="created-token">
      <p>
        Token <strong>{token.name}</strong> was created. Copy it now: it is shown only once and only its hash is stored.
      </p>
      <p>
        <code className="secret-value" data-testid="token-value">
          {token.token}
        </code>
      </p>
      <div className="row-actions">
        <button type="button" className="button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="button primary" onClick={onDone}>
          Done, hide it
        </button>
        {copied ? (
          <span className="small" role="status">
            {copied}
          </span>
        ) : null}
      </div>
    </div>
  );
}
