import { useSyncExternalStore } from 'react';

/**
 * Whether this browser believes it has a session. The session itself is an httpOnly cookie the
 * dashboard cannot read; what is kept here is only a hint (never a token) so a signed-out visit goes
 * straight to the sign-in form instead of asking the API and being told 401.
 */
export interface SessionState {
  signedIn: boolean;
  /** How the session was opened: a token session stays in its organization. */
  via: 'password' | 'token' | null;
  /** Why the user is looking at the sign-in form (session ended, signed out). */
  notice: string | null;
}

const HINT_KEY = 'satusky.session';

function readHint(): SessionState {
  try {
    const value = localStorage.getItem(HINT_KEY);
    if (value === 'password' || value === 'token') return { signedIn: true, via: value, notice: null };
  } catch {
    // Storage may be unavailable (privacy mode): the API is asked instead.
    return { signedIn: true, via: null, notice: null };
  }
  return { signedIn: false, via: null, notice: null };
}

function writeHint(via: SessionState['via']): void {
  try {
    if (via) localStorage.setItem(HINT_KEY, via);
    else localStorage.removeItem(HINT_KEY);
  } catch {
    // Without storage the dashboard still works; it just asks the API on the next visit.
  }
}

function createSessionStore() {
  let state = readHint();
  const listeners = new Set<() => void>();
  const set = (next: SessionState) => {
    state = next;
    for (const listener of listeners) listener();
  };
  return {
    get: () => state,
    subscribe: (listener: () => void) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    signedIn: (via: 'password' | 'token') => {
      writeHint(via);
      set({ signedIn: true, via, notice: null });
    },
    signedOut: (notice: string | null = null) => {
      writeHint(null);
      set({ signedIn: false, via: null, notice });
    },
  };
}

export const session = createSessionStore();

export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.get);
}
