/**
 * JSON as the repo's formatter (biome, `npm run lint`) writes it: two-space indent, arrays of
 * plain values on one line, so a fresh bench/results/latest.json passes the lint as is.
 */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2).replace(
    /\[\n\s+([^[\]{}]*?)\n\s*\]/g,
    (_, items: string) => `[${items.split(/,\n\s*/).join(', ')}]`,
  );
  return `${text}\n`;
}
