/**
 * Parsing the value of a CAA `issue` / `issuewild` property (RFC 8659
 * §4.2): an optional issuer domain name, then `;`-separated `tag=value`
 * parameters such as `accounturi` and `validationmethods` (RFC 8657).
 * @module
 */

/** A parsed issue/issuewild value, or why it could not be parsed. */
export type CaaIssueValue =
  | {
      readonly ok: true;
      /** The issuer domain name, lowercased; `undefined` for an empty value (`;`), which authorizes no one. */
      readonly issuer: string | undefined;
      /** Parameters by lowercased tag. */
      readonly parameters: ReadonlyMap<string, string>;
    }
  | { readonly ok: false; readonly reason: string };

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const PARAMETER_VALUE = /^[\x21-\x3a\x3c-\x7e]*$/;
const WSP = /^[ \t]+|[ \t]+$/g;

function isDomainName(text: string): boolean {
  return text.split('.').every((label) => LABEL.test(label));
}

/**
 * Parses an issue/issuewild property value (RFC 8659 §4.2). Duplicate
 * parameter tags make the value malformed (RFC 8657 §3 and §4 allow each
 * parameter at most once); a malformed value authorizes no one.
 */
export function parseCaaIssueValue(value: string): CaaIssueValue {
  const semicolon = value.indexOf(';');
  const issuerText = (semicolon < 0 ? value : value.slice(0, semicolon)).replace(WSP, '');
  if (issuerText !== '' && !isDomainName(issuerText)) return { ok: false, reason: `"${issuerText}" is not an issuer domain name` };
  const parameters = new Map<string, string>();
  if (semicolon >= 0) {
    const rest = value.slice(semicolon + 1).replace(WSP, '');
    if (rest !== '') {
      for (const part of rest.split(';')) {
        const text = part.replace(WSP, '');
        const eq = text.indexOf('=');
        if (eq < 0) return { ok: false, reason: `parameter "${text}" has no "="` };
        const tag = text.slice(0, eq).replace(WSP, '').toLowerCase();
        const paramValue = text.slice(eq + 1).replace(WSP, '');
        if (!LABEL.test(tag)) return { ok: false, reason: `"${tag}" is not a parameter tag` };
        if (!PARAMETER_VALUE.test(paramValue)) return { ok: false, reason: `parameter ${tag} has a value with forbidden characters` };
        if (parameters.has(tag)) return { ok: false, reason: `parameter ${tag} appears more than once` };
        parameters.set(tag, paramValue);
      }
    }
  }
  return { ok: true, issuer: issuerText === '' ? undefined : issuerText.toLowerCase(), parameters };
}
