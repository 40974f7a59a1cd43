/**
 * A source check that schema migrations only expand the schema: create
 * tables, add nullable or defaulted columns, add indexes. Anything that drops,
 * renames or tightens would break the previous release's code during a
 * blue/green upgrade or a rollback, so it is refused here (and in CI).
 */

/** One broken rule in one migration file. */
export interface ExpandOnlyViolation {
  file: string;
  rule: string;
  excerpt: string;
}

/** Rules matched against a migration's source (comments removed). */
const RULES: readonly { rule: string; pattern: RegExp }[] = [
  { rule: 'no dropTable', pattern: /\.dropTable\s*\(/g },
  { rule: 'no dropColumn', pattern: /\.dropColumn\s*\(/g },
  { rule: 'no renameTo', pattern: /\.renameTo\s*\(/g },
  { rule: 'no renameColumn', pattern: /\.renameColumn\s*\(/g },
  { rule: 'no alterColumn (setNotNull, setDataType, dropDefault)', pattern: /\.alterColumn\s*\(/g },
  { rule: 'no modifyColumn', pattern: /\.modifyColumn\s*\(/g },
  { rule: 'no setNotNull', pattern: /\.setNotNull\s*\(/g },
  { rule: 'no dropIndex', pattern: /\.dropIndex\s*\(/g },
  { rule: 'no dropConstraint', pattern: /\.dropConstraint\s*\(/g },
  { rule: 'no raw DROP', pattern: /\bdrop\s+(table|column|index|constraint|view|schema|database|default|not\s+null)\b/gi },
  { rule: 'no raw RENAME', pattern: /\brename\s+(to|column|table|index)\b/gi },
  { rule: 'no raw ALTER/MODIFY/CHANGE COLUMN', pattern: /\b(alter|modify|change)\s+column\b/gi },
  { rule: 'no raw TRUNCATE or DELETE', pattern: /\b(truncate\s+table|delete\s+from)\b/gi },
];

/** Text of each `alterTable(...)` chain up to its `.execute()`. */
function alterTableChains(source: string): string[] {
  const chains: string[] = [];
  const re = /\.alterTable\s*\(/g;
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    const end = source.indexOf('.execute()', m.index);
    chains.push(source.slice(m.index, end === -1 ? undefined : end));
  }
  return chains;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/** The expand-only rules `source` (the text of migration `file`) breaks; empty when it is fine. */
export function expandOnlyViolations(file: string, source: string): ExpandOnlyViolation[] {
  const code = stripComments(source);
  const out: ExpandOnlyViolation[] = [];
  for (const { rule, pattern } of RULES) {
    for (const m of code.matchAll(pattern)) out.push({ file, rule, excerpt: m[0] });
  }
  for (const chain of alterTableChains(code)) {
    // On an existing table a new column must accept the old code's inserts, which do not name it.
    for (const m of chain.matchAll(/\.addColumn\s*\(([^;]*?)\)\s*(?=\.addColumn|\.add\w*Constraint|$)/g)) {
      if (/\.notNull\s*\(/.test(m[0]) && !/\.defaultTo\s*\(/.test(m[0])) {
        out.push({ file, rule: 'an added column must be nullable or have a default', excerpt: m[0].trim() });
      }
    }
    for (const m of chain.matchAll(/\.add(Unique|Check|ForeignKey|PrimaryKey)Constraint\s*\(/g)) {
      out.push({ file, rule: 'no new constraint on an existing table', excerpt: m[0] });
    }
  }
  for (const m of code.matchAll(/\balter\s+table\b[^;`'"]*/gi)) {
    const statement = m[0];
    if (/\bnot\s+null\b/i.test(statement) && !/\bdefault\b/i.test(statement)) {
      out.push({ file, rule: 'an added column must be nullable or have a default', excerpt: statement.trim() });
    }
    if (/\badd\s+(constraint|unique|primary\s+key|foreign\s+key|check)\b/i.test(statement)) {
      out.push({ file, rule: 'no new constraint on an existing table', excerpt: statement.trim() });
    }
  }
  return out;
}
