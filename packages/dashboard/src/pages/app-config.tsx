import type { App, KeyValuePatch } from '@satusky/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { client, errorText, keys, POLL, queryClient } from '../api.ts';
import { ActionResult, Ago, ConfirmButton, Empty, ErrorNote, Loading, Section } from '../components.tsx';
import { useViewer } from '../root.tsx';
import { useNow } from '../time.ts';

const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Environment variables (values shown) and secrets (keys only: values are write-only). */
export function ConfigPanel({ app }: { app: App }) {
  return (
    <div className="two-col">
      <EnvSection app={app} />
      <SecretsSection app={app} />
    </div>
  );
}

function useConfigMutation(app: App, kind: 'env' | 'secrets', onDone: (text: string, ok: boolean) => void) {
  const { org } = useViewer();
  return useMutation({
    mutationFn: (patch: KeyValuePatch) => (kind === 'env' ? client.patchEnv(org, app.name, patch) : client.patchSecrets(org, app.name, patch)),
    onSuccess: async (accepted) => {
      onDone(
        accepted.changed
          ? accepted.release
            ? `Saved ${accepted.keys.join(', ')}: release v${accepted.release} rolls it out.`
            : `Saved ${accepted.keys.join(', ')}; it applies with the next deploy.`
          : 'Nothing changed.',
        true,
      );
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: kind === 'env' ? keys.env(org, app.name) : keys.secrets(org, app.name) }),
        queryClient.invalidateQueries({ queryKey: keys.apps(org) }),
        queryClient.invalidateQueries({ queryKey: keys.releases(org, app.name) }),
      ]);
    },
    onError: (e) => onDone(errorText(e), false),
  });
}

function EnvSection({ app }: { app: App }) {
  const { org } = useViewer();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const env = useQuery({ queryKey: keys.env(org, app.name), queryFn: () => client.getEnv(org, app.name), refetchInterval: POLL.list });
  const patch = useConfigMutation(app, 'env', (text, ok) => setResult({ ok, text }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!KEY_PATTERN.test(key)) {
      setResult({ ok: false, text: 'A key is letters, digits and underscores, not starting with a digit.' });
      return;
    }
    patch.mutate(
      { set: { [key]: value } },
      {
        onSuccess: () => {
          setKey('');
          setValue('');
        },
      },
    );
  };
  return (
    <Section title="Environment">
      {env.isPending ? <Loading what="environment" /> : null}
      {env.isError ? <ErrorNote error={env.error} /> : null}
      {env.data && env.data.items.length === 0 ? <Empty>No environment variables.</Empty> : null}
      {env.data && env.data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="kv">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Value</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {env.data.items.map((item) => (
                <tr key={item.key} data-env={item.key}>
                  <th scope="row">
                    <code>{item.key}</code>
                  </th>
                  <td>
                    <code className="break">{item.value}</code>
                  </td>
                  <td>
                    <ConfirmButton label="Remove" confirmLabel={`Remove ${item.key}`} danger onConfirm={() => patch.mutate({ unset: [item.key] })} disabled={patch.isPending} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <form className="inline-form" onSubmit={submit} aria-label="Set an environment variable">
        <label className="field">
          <span>Key</span>
          <input value={key} onChange={(e) => setKey(e.target.value)} required pattern="[A-Za-z_][A-Za-z0-9_]*" autoComplete="off" spellCheck={false} />
        </label>
        <label className="field">
          <span>Value</span>
          <input value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" spellCheck={false} />
        </label>
        <button type="submit" className="button" disabled={patch.isPending}>
          Set
        </button>
      </form>
      <ActionResult result={result} />
    </Section>
  );
}

function SecretsSection({ app }: { app: App }) {
  const { org } = useViewer();
  const now = useNow();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const secrets = useQuery({ queryKey: keys.secrets(org, app.name), queryFn: () => client.listSecrets(org, app.name), refetchInterval: POLL.list });
  const patch = useConfigMutation(app, 'secrets', (text, ok) => setResult({ ok, text }));
  const required = app.release?.spec.required_secrets ?? [];
  const present = new Set(secrets.data?.items.map((s) => s.key));
  const missing = required.filter((k) => !present.has(k));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!KEY_PATTERN.test(key)) {
      setResult({ ok: false, text: 'A key is letters, digits and underscores, not starting with a digit.' });
      return;
    }
    // The value leaves this form once, to the API, and is cleared whatever the answer.
    const patchBody = { set: { [key]: value } };
    setValue('');
    patch.mutate(patchBody, { onSuccess: () => setKey('') });
  };
  return (
    <Section title="Secrets">
      <p className="muted small">Secret values are sealed by the control plane and never shown again, here or anywhere.</p>
      {missing.length > 0 ? (
        <p className="note note-warn" role="status">
          Required but not set: {missing.join(', ')}
        </p>
      ) : null}
      {secrets.isPending ? <Loading what="secrets" /> : null}
      {secrets.isError ? <ErrorNote error={secrets.error} /> : null}
      {secrets.data && secrets.data.items.length === 0 ? <Empty>No secrets.</Empty> : null}
      {secrets.data && secrets.data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="kv">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Version</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {secrets.data.items.map((item) => (
                <tr key={item.key} data-secret={item.key}>
                  <th scope="row">
                    <code>{item.key}</code>
                  </th>
                  <td>v{item.version}</td>
                  <td className="nowrap">
                    <Ago at={item.updated_at} now={now} />
                  </td>
                  <td>
                    <ConfirmButton label="Remove" confirmLabel={`Remove ${item.key}`} danger onConfirm={() => patch.mutate({ unset: [item.key] })} disabled={patch.isPending} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <form className="inline-form" onSubmit={submit} aria-label="Set a secret">
        <label className="field">
          <span>Key</span>
          <input value={key} onChange={(e) => setKey(e.target.value)} required pattern="[A-Za-z_][A-Za-z0-9_]*" autoComplete="off" spellCheck={false} />
        </label>
        <label className="field">
          <span>Value</span>
          <input type="password" value={value} onChange={(e) => setValue(e.target.value)} required autoComplete="new-password" spellCheck={false} />
        </label>
        <button type="submit" className="button" disabled={patch.isPending}>
          Set secret
        </button>
      </form>
      <ActionResult result={result} />
    </Section>
  );
}
