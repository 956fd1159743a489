/** The datasource's settings as both the browser and the backend read them (pure). */
import type { CollabJsonData } from './types';

/** Normalises the configured pod URLs (trimmed, deduplicated, non-empty). */
export function podUrlsOf(jsonData: Pick<CollabJsonData, 'podUrls'> | undefined): string[] {
  const raw = Array.isArray(jsonData?.podUrls) ? jsonData.podUrls : [];
  return [
    ...new Set(
      raw
        .filter((u): u is string => typeof u === 'string')
        .map((u) => u.trim())
        .filter(Boolean)
    ),
  ];
}
