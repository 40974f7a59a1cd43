/**
 * Quotes client-supplied text for a problem detail: JSON string syntax (so
 * control characters are escaped) and cut to `max` characters.
 */
export function quote(text: string, max = 120): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
