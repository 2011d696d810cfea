import { KubeConfig } from '@kubernetes/client-node';
import { AppError } from '../core/errors.ts';

/**
 * Loads a kubeconfig the way every cluster connection does, and checks that it names a usable
 * context: a server URL and some credential. Registration fails here, not at the first reconcile.
 */
export function loadKubeConfig(text: string, context?: string | null): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (error) {
    throw new AppError('SATUSKY_INVALID_KUBECONFIG', `The kubeconfig cannot be parsed: ${(error as Error).message}`, { cause: error });
  }
  if (context) {
    if (!kc.getContextObject(context)) {
      throw new AppError('SATUSKY_INVALID_KUBECONFIG', `The kubeconfig has no context "${context}" (it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}).`);
    }
    kc.setCurrentContext(context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new AppError('SATUSKY_INVALID_KUBECONFIG', 'The kubeconfig has no current context with a cluster server URL.');
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new AppError('SATUSKY_INVALID_KUBECONFIG', `The cluster server "${cluster.server}" is not a URL.`);
  }
  if (url.protocol !== 'https:' && !cluster.skipTLSVerify) {
    throw new AppError('SATUSKY_INVALID_KUBECONFIG', 'The cluster server must use https (or set insecure-skip-tls-verify for a test cluster).');
  }
  const user = kc.getCurrentUser();
  if (!user || !(user.token || user.certData || user.certFile || user.authProvider || user.exec || user.username)) {
    throw new AppError('SATUSKY_INVALID_KUBECONFIG', 'The kubeconfig has no credentials for its current user.');
  }
  return kc;
}

export function serverOf(kc: KubeConfig): string {
  return kc.getCurrentCluster()?.server ?? '';
}
