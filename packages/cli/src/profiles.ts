import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * A named endpoint plus credentials, stored as `~/.satusky/profiles/<name>.json` with mode 0600
 * (the layout the real 1ctl uses). `context.json` holds only the active profile's name.
 */
export interface Profile {
  api_url: string;
  token?: string;
  email?: string;
  user_id?: string;
  /** The organization the token acts in. */
  current_org_id?: string;
  current_org_name?: string;
  /** The organization's slug (the real 1ctl calls the namespace "organization"). */
  organization?: string;
  /** Tokens for other organizations, by org id: tokens are scoped to one membership each. */
  org_tokens?: Record<string, { token: string; name: string; slug: string }>;
}

export const PROFILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SATUSKY_CONFIG_DIR || path.join(env.HOME || os.homedir(), '.satusky');
}

export class ProfileStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private profilePath(name: string): string {
    if (!PROFILE_NAME_PATTERN.test(name)) throw new Error(`invalid profile name "${name}"`);
    return path.join(this.dir, 'profiles', `${name}.json`);
  }

  async read(name: string): Promise<Profile | null> {
    try {
      return JSON.parse(await readFile(this.profilePath(name), 'utf8')) as Profile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** Atomic write (temp file + rename), mode 0600: profiles hold tokens. */
  async write(name: string, profile: Profile): Promise<void> {
    const file = this.profilePath(name);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, file);
  }

  async delete(name: string): Promise<boolean> {
    const existed = (await this.read(name)) !== null;
    await rm(this.profilePath(name), { force: true });
    if ((await this.active()) === name) await this.setActive(null);
    return existed;
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(path.join(this.dir, 'profiles')))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -'.json'.length))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async active(): Promise<string | null> {
    try {
      const context = JSON.parse(await readFile(path.join(this.dir, 'context.json'), 'utf8')) as { active_profile?: string };
      return context.active_profile ?? null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async setActive(name: string | null): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, 'context.json');
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(name ? { active_profile: name } : {}, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, file);
  }
}
