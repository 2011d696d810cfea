/** DNS-1123 label: what Kubernetes accepts for namespace names and most object names. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Slugs that would collide with platform or Kubernetes namespaces once prefixed, or confuse. */
const RESERVED_SLUGS = new Set(['admin', 'api', 'default', 'kube', 'satusky', 'system', 'www', 'root']);

export function isReservedSlug(slug: string): boolean {
  return RESERVED_SLUGS.has(slug) || slug.startsWith('kube-') || slug.startsWith('satusky-');
}

/** Derives a slug from a display name: lowercase, hyphenated, trimmed to 40 characters. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  if (slug.length >= 3) return slug;
  return slug ? `${slug}-org` : 'org';
}

/**
 * The Kubernetes namespace an organization owns in every cluster. The `org-` prefix keeps tenant
 * namespaces apart from system ones (kube-system, satusky-system, default).
 */
export function namespaceForSlug(slug: string): string {
  return `org-${slug}`;
}
