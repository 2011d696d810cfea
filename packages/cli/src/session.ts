import { ApiError, SatuskyClient } from '@satusky/contracts/client';
import type { Profile, ProfileStore } from './profiles.ts';
import type { Io, OutputFormat } from './output.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:4600';

/** A failure the CLI reports and exits with; `exitCode` 2 marks a usage error. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export interface GlobalOptions {
  apiUrl?: string;
  profile?: string;
  output?: string;
}

export interface CliDeps {
  env: NodeJS.ProcessEnv;
  io: Io;
  store: ProfileStore;
  /** Reads a secret (password) without echo, or from stdin when not a TTY. */
  readSecret(prompt: string): Promise<string>;
  confirm(question: string): Promise<boolean>;
  fetch?: typeof fetch;
  /** The working directory satusky.toml is looked for from (default: process.cwd()). */
  cwd?: () => string;
  /** Ends long-running commands (follow, stream, watch); the binary wires it to SIGINT. */
  signal?: AbortSignal;
}

/** Everything a command needs, resolved once: flags > environment > profile > defaults. */
export class Session {
  readonly deps: CliDeps;
  readonly profileName: string;
  readonly profile: Profile | null;
  readonly apiUrl: string;
  readonly token: string | undefined;
  readonly tokenSource: 'env' | 'profile' | 'none';
  readonly output: OutputFormat;
  #client: SatuskyClient | undefined;
  #orgId: string | undefined;

  private constructor(
    deps: CliDeps,
    init: { profileName: string; profile: Profile | null; apiUrl: string; token: string | undefined; tokenSource: 'env' | 'profile' | 'none'; output: OutputFormat },
  ) {
    this.deps = deps;
    this.profileName = init.profileName;
    this.profile = init.profile;
    this.apiUrl = init.apiUrl;
    this.token = init.token;
    this.tokenSource = init.tokenSource;
    this.output = init.output;
  }

  static async resolve(deps: CliDeps, globals: GlobalOptions): Promise<Session> {
    const output = globals.output ?? 'table';
    if (output !== 'table' && output !== 'json') throw new CliError(`--output must be "table" or "json", not "${output}"`, 2);
    const profileName = globals.profile ?? deps.env.SATUSKY_PROFILE ?? (await deps.store.active()) ?? 'default';
    let profile: Profile | null;
    try {
      profile = await deps.store.read(profileName);
    } catch (error) {
      throw new CliError(`cannot read profile "${profileName}": ${(error as Error).message}`, 2);
    }
    const apiUrl = globals.apiUrl ?? deps.env.SATUSKY_API_URL ?? profile?.api_url ?? DEFAULT_API_URL;
    const envToken = deps.env.SATUSKY_API_KEY || undefined;
    const token = envToken ?? profile?.token;
    return new Session(deps, {
      profileName,
      profile,
      apiUrl,
      token,
      tokenSource: envToken ? 'env' : token ? 'profile' : 'none',
      output,
    });
  }

  get io(): Io {
    return this.deps.io;
  }

  get json(): boolean {
    return this.output === 'json';
  }

  /** A client for an authenticated call; fails clearly when there is no credential. */
  client(): SatuskyClient {
    if (!this.token) {
      throw new CliError('Not logged in: run `1ctl auth login --token <token>` (or set SATUSKY_API_KEY).');
    }
    this.#client ??= this.makeClient(this.token);
    return this.#client;
  }

  makeClient(token: string | undefined): SatuskyClient {
    try {
      return new SatuskyClient({
        baseUrl: this.apiUrl,
        token,
        userAgent: '1ctl/0.1.0',
        ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
      });
    } catch (error) {
      if (error instanceof ApiError) throw new CliError(error.message);
      throw new CliError(`invalid API URL "${this.apiUrl}"`, 2);
    }
  }

  /** The organization the credential acts in (tokens are scoped to one membership). */
  async orgId(): Promise<string> {
    if (this.#orgId) return this.#orgId;
    if (this.tokenSource === 'profile' && this.profile?.current_org_id) {
      this.#orgId = this.profile.current_org_id;
    } else {
      this.#orgId = (await this.client().me()).organization.organization_id;
    }
    return this.#orgId;
  }

  async saveProfile(profile: Profile): Promise<void> {
    await this.deps.store.write(this.profileName, profile);
    if (!(await this.deps.store.active())) await this.deps.store.setActive(this.profileName);
  }
}

export function maskToken(token: string | undefined): string {
  if (!token) return '-';
  return token.length > 12 ? `${token.slice(0, 6)}…${token.slice(-4)}` : '****';
}
