import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { client, errorText, isApiError, queryClient } from '../api.ts';
import { useTitle } from '../router.tsx';
import { session } from '../session.ts';

type Mode = 'password' | 'token';

/**
 * Sign in with email and password, or with an API token. Either way the server answers an httpOnly
 * cookie; the token typed here is sent once and never kept by the dashboard.
 */
export function SignInPage({ notice }: { notice: string | null }) {
  useTitle('Sign in');
  const [mode, setMode] = useState<Mode>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [organization, setOrganization] = useState('');

  const signIn = useMutation({
    mutationFn: (input: { mode: Mode; email: string; password: string; token: string; organization: string }) =>
      client.createSession(
        input.mode === 'token'
          ? { token: input.token.trim() }
          : { email: input.email.trim(), password: input.password, ...(input.organization.trim() ? { organization: input.organization.trim() } : {}) },
      ),
    onSuccess: (_created, input) => {
      setPassword('');
      setToken('');
      queryClient.clear();
      session.signedIn(input.mode);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ mode, email, password, token, organization });
  };

  const error = signIn.error;
  const message = error
    ? isApiError(error) && error.status === 401
      ? mode === 'token'
        ? 'That API token is not valid (it may be disabled, expired or deleted).'
        : 'Wrong email or password.'
      : isApiError(error) && error.status === 429
        ? `Too many sign-in attempts; try again in ${error.retryAfterSeconds ?? 60} s.`
        : errorText(error)
    : null;

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <div className="signin-brand">
          <img src="/favicon.svg" alt="" width="36" height="36" />
          <h1>Sign in to Satusky</h1>
        </div>
        {notice && !error ? (
          <p className="note note-info" role="status">
            {notice}
          </p>
        ) : null}
        <div className="segmented" role="group" aria-label="Sign-in method">
          <button type="button" aria-pressed={mode === 'password'} onClick={() => setMode('password')}>
            Email and password
          </button>
          <button type="button" aria-pressed={mode === 'token'} onClick={() => setMode('token')}>
            API token
          </button>
        </div>
        <form onSubmit={submit} className="form">
          {mode === 'password' ? (
            <>
              <label className="field">
                <span>Email</span>
                <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
              </label>
              <label className="field">
                <span>Password</span>
                <input
                  type="password"
                  name="password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              </label>
              <label className="field">
                <span>
                  Organization <span className="muted">(optional: slug or id)</span>
                </span>
                <input type="text" name="organization" autoComplete="organization" value={organization} onChange={(e) => setOrganization(e.target.value)} />
              </label>
            </>
          ) : (
            <div className="field">
              <label htmlFor="signin-token">API token</label>
              <input
                id="signin-token"
                type="password"
                name="token"
                autoComplete="off"
                spellCheck={false}
                placeholder="sat_…"
                required
                aria-describedby="signin-token-hint"
                value={token}
                onChange={(e) => setToken(e.target.value)}
              />
              <small id="signin-token-hint" className="muted">
                Sent once to open a browser session; the dashboard does not keep it.
              </small>
            </div>
          )}
          {message ? (
            <p className="note note-error" role="alert">
              {message}
            </p>
          ) : null}
          <button type="submit" className="button primary wide" disabled={signIn.isPending}>
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="muted small">
          No account yet? An organization admin adds you from the Team page or with <code>1ctl org team add</code>.
        </p>
      </div>
    </main>
  );
}
