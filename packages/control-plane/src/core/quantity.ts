/** CPU in millicores: "250m" → 250, "0.5" → 500, "2" → 2000. Null when not a CPU quantity. */
export function parseCpu(value: string): number | null {
  const milli = /^([0-9]+)m$/.exec(value);
  if (milli) return Number(milli[1]);
  if (/^[0-9]+(\.[0-9]{1,3})?$/.test(value)) return Math.round(Number(value) * 1000);
  return null;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Bytes of a binary-suffixed quantity ("256Mi", "1Gi"). Null otherwise. */
export function parseBinaryQuantity(value: string): number | null {
  const match = /^([0-9]+)(Ki|Mi|Gi|Ti)$/.exec(value);
  if (!match) return null;
  return Number(match[1]) * BINARY[match[2]!]!;
}

export function formatCpu(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** Memory as Kubernetes serialises it: the largest binary suffix that is exact (1024Mi → 1Gi). */
export function formatMemory(bytes: number): string {
  for (const [suffix, size] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}

/** CPU and memory in canonical form, so what we apply is what the API server stores. */
export function canonicalCpu(value: string): string {
  const milli = parseCpu(value);
  return milli === null ? value : formatCpu(milli);
}
export function canonicalMemory(value: string): string {
  const bytes = parseBinaryQuantity(value);
  return bytes === null ? value : formatMemory(bytes);
}
