/**
 * X.501 Names (RFC 5280 §4.1.2.4): a SEQUENCE of single-attribute RDNs.
 * Strings are PrintableString when the value fits its repertoire and
 * UTF8String otherwise (RFC 5280 §4.1.2.4 allows both; countryName and
 * serialNumber are always PrintableString, emailAddress IA5String).
 */
import { type Der, Tag, encodeDer, ia5Bytes, ia5String, oid, printableString, sequence, setOf, tlv, utf8String, isPrintable } from './der.js';
import { ATTRIBUTE_OIDS } from './oids.js';
import { children, readOid, readSingle, readString } from './der-reader.js';

/** Attribute types a Name may carry. */
export type NameAttributeType = keyof typeof ATTRIBUTE_OIDS;

/** One attribute of a distinguished name, e.g. `{ type: 'O', value: 'Example Corp' }`. */
export interface NameAttribute {
  type: NameAttributeType;
  value: string;
}

/** Upper bounds from RFC 5280 Appendix A.1 (ub-*). */
const MAX_LENGTH: Readonly<Record<NameAttributeType, number>> = {
  CN: 64,
  serialNumber: 64,
  C: 2,
  L: 128,
  ST: 128,
  street: 128,
  O: 64,
  OU: 64,
  emailAddress: 255,
};

function attributeValue(attr: NameAttribute): Der {
  if (attr.type === 'C' || attr.type === 'serialNumber') return printableString(attr.value);
  if (attr.type === 'emailAddress') return ia5String(attr.value);
  return isPrintable(attr.value) ? printableString(attr.value) : utf8String(attr.value);
}

/**
 * Encodes a Name from attributes in order, one RDN each. An empty list gives
 * the empty Name (`30 00`), as a leaf with only a SAN has (RFC 5280 §4.1.2.6).
 * Throws a `RangeError` naming the attribute when a value is empty, too long,
 * or not encodable.
 */
export function encodeName(attributes: readonly NameAttribute[]): Uint8Array {
  const rdns = attributes.map((attr) => {
    const max = MAX_LENGTH[attr.type];
    if (max === undefined) throw new RangeError(`unknown name attribute type ${String(attr.type)}`);
    if (attr.value.length === 0 || attr.value.length > max) {
      throw new RangeError(`name attribute ${attr.type} must have 1 to ${max} characters`);
    }
    if (attr.type === 'C' && !/^[A-Z]{2}$/.test(attr.value)) throw new RangeError('name attribute C must be two uppercase letters (ISO 3166)');
    return setOf(sequence(oid(ATTRIBUTE_OIDS[attr.type]), attributeValue(attr)));
  });
  return encodeDer(sequence(...rdns));
}

const CN_OID = oid(ATTRIBUTE_OIDS.CN);
const EMPTY_NAME = Uint8Array.of(0x30, 0x00);

/**
 * A leaf subject: just a commonName, or the empty Name when `commonName` is
 * undefined. A fast path of {@link encodeName} for the issuance hot path.
 */
export function leafSubject(commonName: string | undefined): Uint8Array {
  if (commonName === undefined) return EMPTY_NAME.slice();
  if (commonName.length === 0 || commonName.length > MAX_LENGTH.CN) throw new RangeError(`name attribute CN must have 1 to ${MAX_LENGTH.CN} characters`);
  const value = isPrintable(commonName) ? tlv(Tag.PRINTABLE_STRING, ia5Bytes(commonName)) : utf8String(commonName);
  return encodeDer(sequence(tlv(Tag.SET, sequence(CN_OID, value))));
}

const TYPE_BY_OID = new Map<string, NameAttributeType>(
  (Object.entries(ATTRIBUTE_OIDS) as [NameAttributeType, string][]).map(([k, v]) => [v, k]),
);

/**
 * Decodes a Name's attributes in order (multi-valued RDNs flattened). Types
 * not in {@link ATTRIBUTE_OIDS} are reported by dotted OID.
 */
export function decodeName(der: Uint8Array): { type: NameAttributeType | string; value: string }[] {
  const out: { type: NameAttributeType | string; value: string }[] = [];
  for (const rdn of children(readSingle(der))) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      if (type === undefined || value === undefined) throw new RangeError('malformed AttributeTypeAndValue');
      const dotted = readOid(type);
      out.push({ type: TYPE_BY_OID.get(dotted) ?? dotted, value: readString(value) });
    }
  }
  return out;
}

/** The first commonName of an encoded Name, if any. */
export function commonNameOf(der: Uint8Array): string | undefined {
  return decodeName(der).find((a) => a.type === 'CN')?.value;
}
