/**
 * Secrets and identifiers printed for pasting into client command lines
 * (`certwright eab create`) must not start with "-": one base64url value in
 * 64 does, and option parsers (certbot's argparse among them) then read
 * `--eab-hmac-key -K20…` as a missing argument followed by an unknown
 * option. Redrawing costs under 0.03 bits of a 256-bit key.
 */
import { base64url } from '@certwright/core';

/** Draws until the value does not start with "-". */
export function drawArgumentSafe(draw: () => string): string {
  for (;;) {
    const value = draw();
    if (!value.startsWith('-')) return value;
  }
}

/** {@link drawArgumentSafe} for key bytes, judged by their base64url text. */
export function drawArgumentSafeBytes(draw: () => Uint8Array): Uint8Array {
  for (;;) {
    const bytes = draw();
    if (!base64url(bytes).startsWith('-')) return bytes;
  }
}
