import type {
  App,
  AppStatus,
  ConfigChangeAccepted,
  DeployAccepted,
  DeployBody,
  EnvList,
  EventList,
  KeyValuePatch,
  Logs,
  Operation,
  Release,
  SecretList,
} from './apps.ts';
import type { AuditEntry, AuditList, AuditQuery } from './audit.ts';
import type { Cluster, RegisterClusterBody, UpdateClusterBody, Zone } from './clusters.ts';
import type { AddDomainBody, Domain, DomainCheck, DomainSetup } from './domains.ts';
import type { ErrorBody } from './errors.ts';
import type { AddMemberBody, AddMemberResponse, Member, RemoveMemberResponse } from './members.ts';
import type {
  CreateOrganizationBody,
  CreateOrganizationResponse,
  DeleteOrganizationResponse,
  Organization,
} from './orgs.ts';
import type {
  ApiToken,
  CreateApiTokenBody,
  CreatedApiToken,
  PasswordLoginBody,
  UpdateApiTokenBody,
} from './tokens.ts';
import type { ChangePasswordBody, Me } from './users.ts';

/** An error answered by the API (`status`, stable `code`) or a transport failure (`status` 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly details: unknown;
  readonly retryAfterSeconds: number | null;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { requestId?: string | null; details?: unknown; retryAfterSeconds?: number | null; cause?: unknown } = {},
  ) {
    super(message, { cause: extra.cause });
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = extra.requestId ?? null;
    this.details = extra.details;
    this.retryAfterSeconds = extra.retryAfterSeconds ?? null;
  }
}

export interface ClientOptions {
  /** The API origin, e.g. `http://127.0.0.1:4600` (paths under /v1 are added by the client). */
  baseUrl: string;
  token?: string | undefined;
  fetch?: typeof fetch;
  userAgent?: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Extra attempts on 5xx or transport errors (default 2). */
  retries?: number;
  /** Browser dashboards authenticate with a cookie instead of a token. */
  credentials?: 'omit' | 'same-origin' | 'include';
  /** Headers sent with every request (the dashboard sends `x-satusky-csrf: 1`). */
  headers?: Record<string, string>;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Sent as X-Request-ID; generated for every mutation when absent, and reused across retries. */
  requestId?: string;
  signal?: AbortSignal;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Tokens travel only over HTTPS, except to this machine. */
export function isSecureOrLocal(baseUrl: string): boolean {
  const url = new URL(baseUrl);
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname) || url.hostname.endsWith('.localhost');
}

function newRequestId(): string {
  return globalThis.crypto.randomUUID();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SatuskyClient {
  readonly baseUrl: string;
  readonly #options: ClientOptions;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.#options = options;
    if (options.token && !isSecureOrLocal(this.baseUrl)) {
      throw new ApiError(
        0,
        'SATUSKY_INSECURE_TRANSPORT',
        `Refusing to send an API token over plain HTTP to ${new URL(this.baseUrl).host}; use https:// (plain HTTP is allowed only to localhost).`,
      );
    }
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const mutation = method !== 'GET' && method !== 'HEAD';
    const requestId = mutation ? (options.requestId ?? newRequestId()) : undefined;
    const headers: Record<string, string> = { accept: 'application/json', ...(this.#options.headers ?? {}) };
    if (this.#options.token) headers['x-satusky-api-key'] = this.#options.token;
    if (this.#options.userAgent) headers['user-agent'] = this.#options.userAgent;
    if (requestId) headers['x-request-id'] = requestId;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    // GETs are safe to repeat; mutations are, too, because their X-Request-ID is reused.
    const attempts = 1 + (this.#options.retries ?? 2);
    const doFetch = this.#options.fetch ?? globalThis.fetch;

    let lastError: ApiError | null = null;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      if (attempt > 0) await sleep(100 * attempt);
      const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 30_000);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await doFetch(url, {
          method,
          headers,
          body: options.body === undefined ? null : JSON.stringify(options.body),
          signal,
          ...(this.#options.credentials ? { credentials: this.#options.credentials } : {}),
        });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        lastError = new ApiError(0, 'SATUSKY_UNREACHABLE', `Cannot reach the Satusky API at ${this.baseUrl}: ${(error as Error).message}`, {
          cause: error,
        });
        continue;
      }
      const text = await response.text();
      if (response.ok) return (text ? JSON.parse(text) : undefined) as T;
      const parsed = safeParse(text) as Partial<ErrorBody> | null;
      const retryAfter = Number(response.headers.get('retry-after'));
      lastError = new ApiError(
        response.status,
        parsed?.error?.code ?? `HTTP_${response.status}`,
        parsed?.error?.message ?? (response.statusText || `HTTP ${response.status}`),
        {
          requestId: parsed?.error?.request_id ?? response.headers.get('x-satusky-request-id'),
          details: parsed?.error?.details,
          retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
        },
      );
      // Only server-side failures are retried; a mutation's retry reuses its X-Request-ID, so the
      // server replays the first answer instead of doing the work twice.
      if (response.status < 500) break;
    }
    throw lastError ?? new ApiError(0, 'SATUSKY_UNREACHABLE', 'request failed');
  }

  // Users and sign-in
  me(): Promise<Me> {
    return this.request('GET', '/v1/me');
  }
  changePassword(body: ChangePasswordBody): Promise<{ changed: true }> {
    return this.request('PUT', '/v1/me/password', { body });
  }
  passwordLogin(body: PasswordLoginBody): Promise<{ token: CreatedApiToken; organization: { id: string; slug: string; name: string } }> {
    return this.request('POST', '/v1/auth/tokens', { body });
  }

  // Organizations
  async listOrganizations(): Promise<Organization[]> {
    return (await this.request<{ items: Organization[] }>('GET', '/v1/orgs')).items;
  }
  createOrganization(body: CreateOrganizationBody, options: RequestOptions = {}): Promise<CreateOrganizationResponse> {
    return this.request('POST', '/v1/orgs', { ...options, body });
  }
  getOrganization(org: string): Promise<Organization> {
    return this.request('GET', `/v1/orgs/${encodeURIComponent(org)}`);
  }
  deleteOrganization(org: string, options: RequestOptions = {}): Promise<DeleteOrganizationResponse> {
    return this.request('DELETE', `/v1/orgs/${encodeURIComponent(org)}`, options);
  }

  // Team
  async listMembers(org: string): Promise<Member[]> {
    return (await this.request<{ items: Member[] }>('GET', `/v1/orgs/${encodeURIComponent(org)}/members`)).items;
  }
  addMember(org: string, body: AddMemberBody, options: RequestOptions = {}): Promise<AddMemberResponse> {
    return this.request('POST', `/v1/orgs/${encodeURIComponent(org)}/members`, { ...options, body });
  }
  changeMemberRole(org: string, memberId: string, role: 'admin' | 'member', options: RequestOptions = {}): Promise<Member> {
    return this.request('PATCH', `/v1/orgs/${encodeURIComponent(org)}/members/${encodeURIComponent(memberId)}`, {
      ...options,
      body: { role },
    });
  }
  removeMember(org: string, memberId: string, options: RequestOptions = {}): Promise<RemoveMemberResponse> {
    return this.request('DELETE', `/v1/orgs/${encodeURIComponent(org)}/members/${encodeURIComponent(memberId)}`, options);
  }

  // Tokens
  async listTokens(org: string, options: { all?: boolean } = {}): Promise<ApiToken[]> {
    const query = options.all ? { all: true } : {};
    return (await this.request<{ items: ApiToken[] }>('GET', `/v1/orgs/${encodeURIComponent(org)}/tokens`, { query })).items;
  }
  createToken(org: string, body: CreateApiTokenBody, options: RequestOptions = {}): Promise<CreatedApiToken> {
    return this.request('POST', `/v1/orgs/${encodeURIComponent(org)}/tokens`, { ...options, body });
  }
  getToken(org: string, tokenId: string): Promise<ApiToken> {
    return this.request('GET', `/v1/orgs/${encodeURIComponent(org)}/tokens/${encodeURIComponent(tokenId)}`);
  }
  updateToken(org: string, tokenId: string, body: UpdateApiTokenBody, options: RequestOptions = {}): Promise<ApiToken> {
    return this.request('PATCH', `/v1/orgs/${encodeURIComponent(org)}/tokens/${encodeURIComponent(tokenId)}`, {
      ...options,
      body,
    });
  }
  deleteToken(org: string, tokenId: string, options: RequestOptions = {}): Promise<{ deleted: true; id: string }> {
    return this.request('DELETE', `/v1/orgs/${encodeURIComponent(org)}/tokens/${encodeURIComponent(tokenId)}`, options);
  }

  // Audit
  listAudit(org: string, query: AuditQuery = {}): Promise<AuditList> {
    return this.request('GET', `/v1/orgs/${encodeURIComponent(org)}/audit`, { query: { ...query } });
  }
  getAuditEntry(org: string, entryId: number): Promise<AuditEntry> {
    return this.request('GET', `/v1/orgs/${encodeURIComponent(org)}/audit/${entryId}`);
  }

  // Apps
  #app(org: string, app: string, suffix = ''): string {
    return `/v1/orgs/${encodeURIComponent(org)}/apps/${encodeURIComponent(app)}${suffix}`;
  }
  async listApps(org: string): Promise<App[]> {
    return (await this.request<{ items: App[] }>('GET', `/v1/orgs/${encodeURIComponent(org)}/apps`)).items;
  }
  deploy(org: string, app: string, body: DeployBody, options: RequestOptions = {}): Promise<DeployAccepted> {
    return this.request('PUT', this.#app(org, app), { ...options, body });
  }
  getApp(org: string, app: string): Promise<App> {
    return this.request('GET', this.#app(org, app));
  }
  appStatus(org: string, app: string): Promise<AppStatus> {
    return this.request('GET', this.#app(org, app, '/status'));
  }
  async releases(org: string, app: string): Promise<Release[]> {
    return (await this.request<{ items: Release[] }>('GET', this.#app(org, app, '/releases'))).items;
  }
  rollback(org: string, app: string, version?: number, options: RequestOptions = {}): Promise<DeployAccepted> {
    return this.request('POST', this.#app(org, app, '/rollback'), { ...options, body: version ? { version } : {} });
  }
  restart(org: string, app: string, options: RequestOptions = {}): Promise<DeployAccepted> {
    return this.request('POST', this.#app(org, app, '/restart'), { ...options, body: {} });
  }
  scale(org: string, app: string, replicas: number, options: RequestOptions = {}): Promise<DeployAccepted> {
    return this.request('POST', this.#app(org, app, '/scale'), { ...options, body: { replicas } });
  }
  deleteApp(org: string, app: string, purgeVolumes = false, options: RequestOptions = {}): Promise<Operation> {
    return this.request('DELETE', this.#app(org, app), { ...options, query: purgeVolumes ? { purge_volumes: true } : {} });
  }
  getOperation(org: string, operationId: string): Promise<Operation> {
    return this.request('GET', `/v1/orgs/${encodeURIComponent(org)}/operations/${encodeURIComponent(operationId)}`);
  }
  events(org: string, app: string, after = 0, limit = 200): Promise<EventList> {
    return this.request('GET', this.#app(org, app, '/events'), { query: { after, limit } });
  }
  logs(org: string, app: string, options: { tail?: number; zone?: string } = {}): Promise<Logs> {
    return this.request('GET', this.#app(org, app, '/logs'), { query: { tail: options.tail, zone: options.zone } });
  }
  getEnv(org: string, app: string): Promise<EnvList> {
    return this.request('GET', this.#app(org, app, '/env'));
  }
  patchEnv(org: string, app: string, patch: KeyValuePatch, options: RequestOptions = {}): Promise<ConfigChangeAccepted> {
    return this.request('PATCH', this.#app(org, app, '/env'), { ...options, body: patch });
  }
  listSecrets(org: string, app: string): Promise<SecretList> {
    return this.request('GET', this.#app(org, app, '/secrets'));
  }
  patchSecrets(org: string, app: string, patch: KeyValuePatch, options: RequestOptions = {}): Promise<ConfigChangeAccepted> {
    return this.request('PATCH', this.#app(org, app, '/secrets'), { ...options, body: patch });
  }
  /** The WebSocket URL of an app stream (`events/stream` or `logs/stream`). */
  streamUrl(org: string, app: string, stream: 'events' | 'logs', query: Record<string, string | number | undefined> = {}): string {
    const url = new URL(this.baseUrl + this.#app(org, app, `/${stream}/stream`));
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }
  get token(): string | undefined {
    return this.#options.token;
  }

  // Traffic
  failover(org: string, app: string, to: string, options: RequestOptions = {}): Promise<{ accepted: true; serving: string; target: string }> {
    return this.request('POST', this.#app(org, app, '/failover'), { ...options, body: { to } });
  }
  failback(org: string, app: string, options: RequestOptions = {}): Promise<{ accepted: true; serving: string; target: string }> {
    return this.request('POST', this.#app(org, app, '/failback'), { ...options, body: {} });
  }

  // Domains
  #domain(org: string, hostname = ''): string {
    return `/v1/orgs/${encodeURIComponent(org)}/domains${hostname ? `/${encodeURIComponent(hostname)}` : ''}`;
  }
  async listDomains(org: string, app?: string): Promise<Domain[]> {
    return (await this.request<{ items: Domain[] }>('GET', this.#domain(org), { query: { app } })).items;
  }
  addDomain(org: string, body: AddDomainBody, options: RequestOptions = {}): Promise<Domain> {
    return this.request('POST', this.#domain(org), { ...options, body });
  }
  getDomain(org: string, hostname: string): Promise<Domain> {
    return this.request('GET', this.#domain(org, hostname));
  }
  domainSetup(org: string, hostname: string): Promise<DomainSetup> {
    return this.request('GET', `${this.#domain(org, hostname)}/setup`);
  }
  checkDomain(org: string, hostname: string, probe = false): Promise<DomainCheck> {
    return this.request('GET', `${this.#domain(org, hostname)}/check`, { query: probe ? { probe: true } : {} });
  }
  removeDomain(org: string, hostname: string, options: RequestOptions = {}): Promise<{ removed: true; hostname: string; reserved_until: string }> {
    return this.request('DELETE', this.#domain(org, hostname), options);
  }

  // Browser sessions
  createSession(body: { email?: string; password?: string; token?: string; organization?: string }): Promise<{ user: { id: string; email: string }; organization: { id: string; slug: string; name: string }; expires_at: string }> {
    return this.request('POST', '/v1/auth/sessions', { body });
  }
  endSession(): Promise<{ ended: true }> {
    return this.request('DELETE', '/v1/auth/sessions/current');
  }
  switchOrganization(organization: string): Promise<{ id: string; slug: string; name: string }> {
    return this.request('PUT', '/v1/auth/sessions/current/organization', { body: { organization } });
  }

  // Zones and clusters
  async zones(org: string): Promise<Zone[]> {
    return (await this.request<{ items: Zone[] }>('GET', `/v1/orgs/${encodeURIComponent(org)}/zones`)).items;
  }
  async listClusters(): Promise<Cluster[]> {
    return (await this.request<{ items: Cluster[] }>('GET', '/v1/clusters')).items;
  }
  registerCluster(body: RegisterClusterBody, options: RequestOptions = {}): Promise<Cluster> {
    return this.request('POST', '/v1/clusters', { ...options, body });
  }
  updateCluster(cluster: string, body: UpdateClusterBody, options: RequestOptions = {}): Promise<Cluster> {
    return this.request('PATCH', `/v1/clusters/${encodeURIComponent(cluster)}`, { ...options, body });
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
