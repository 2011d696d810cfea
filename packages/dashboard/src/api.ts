import { ApiError, SatuskyClient } from '@satusky/contracts/client';
import { QueryCache, QueryClient, MutationCache } from '@tanstack/react-query';
import { session } from './session.ts';

/**
 * The one client the dashboard talks through: the same typed client and REST API as 1ctl, with the
 * httpOnly session cookie instead of a token, and the CSRF header every cookie mutation needs.
 */
export const client = new SatuskyClient({
  baseUrl: location.origin,
  credentials: 'same-origin',
  headers: { 'x-satusky-csrf': '1' },
  // A browser tab retries by polling; one quick retry of a 5xx is enough.
  retries: 1,
  timeoutMs: 15_000,
});

export { ApiError };

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** The error's message as the API said it, with its stable code. */
export function errorText(error: unknown): string {
  if (isApiError(error)) return error.status === 0 ? error.message : `${error.message} (${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A route the control plane does not have (yet): the feature degrades instead of failing. */
export function isRouteMissing(error: unknown): boolean {
  return isApiError(error) && error.status === 404 && error.code === 'SATUSKY_ROUTE_NOT_FOUND';
}

function onUnauthenticated(error: unknown): void {
  if (isApiError(error) && error.status === 401 && session.get().signedIn) {
    session.signedOut(error.message || 'Your session has ended; sign in again.');
  }
}

export const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: onUnauthenticated }),
  mutationCache: new MutationCache({ onError: onUnauthenticated }),
  defaultOptions: {
    queries: {
      // 4xx answers are facts, not hiccups: retry only transport errors and 5xx.
      retry: (count, error) => count < 2 && (!isApiError(error) || error.status === 0 || error.status >= 500),
      refetchOnWindowFocus: true,
      staleTime: 1_000,
    },
    mutations: { retry: false },
  },
});

/** Query keys, in one place so invalidations match. */
export const keys = {
  me: ['me'] as const,
  apps: (org: string) => ['apps', org] as const,
  appStatus: (org: string, app: string) => ['app-status', org, app] as const,
  releases: (org: string, app: string) => ['releases', org, app] as const,
  env: (org: string, app: string) => ['env', org, app] as const,
  secrets: (org: string, app: string) => ['secrets', org, app] as const,
  domains: (org: string, app?: string) => ['domains', org, app ?? '*'] as const,
  domain: (org: string, hostname: string) => ['domain', org, hostname] as const,
  domainSetup: (org: string, hostname: string) => ['domain-setup', org, hostname] as const,
  domainCheck: (org: string, hostname: string, probe: boolean) => ['domain-check', org, hostname, probe] as const,
  zones: (org: string) => ['zones', org] as const,
  clusters: ['clusters'] as const,
  members: (org: string) => ['members', org] as const,
  tokens: (org: string, all: boolean) => ['tokens', org, all] as const,
  audit: (org: string, filter: { action?: string; actor?: string; before?: number }) => ['audit', org, filter] as const,
};

/** Polling intervals: the app page watches closely, lists less so. */
export const POLL = { appPage: 2_000, list: 5_000 } as const;
