/**
 * Image references as the distribution spec defines them: [registry[:port]/]path[:tag][@digest].
 * Path components are lowercase alphanumerics separated by ".", "_", "__" or "-" runs; tags are up
 * to 128 word characters, dots and dashes; digests are algorithm:hex.
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const PATH_ONLY = new RegExp(`^${PATH_COMPONENT}$`);
const REFERENCE = new RegExp(`^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export interface ImageReference {
  registry: string | null;
  repository: string;
  tag: string | null;
  digest: string | null;
}

export function parseImage(reference: string): ImageReference | null {
  if (reference.length > 512) return null;
  const match = REFERENCE.exec(reference);
  if (!match) return null;
  let registry = match[1] ?? null;
  let repository = match[2]!;
  // "localhost/x" and "host.tld/x" name a registry; "library/x" does not (no dot, colon or localhost).
  if (registry && !/[.:]|^localhost$|^\[/.test(registry)) {
    if (!PATH_ONLY.test(registry)) return null;
    repository = `${registry}/${repository}`;
    registry = null;
  }
  if (repository.length > 255) return null;
  return { registry, repository, tag: match[3] ?? null, digest: match[4] ?? null };
}
