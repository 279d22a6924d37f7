/**
 * The metric names a PromQL expression (or a Grafana query) reads, the recording rules it may
 * name instead, and the label matchers it puts on them. Good enough for the expressions we
 * write (not a PromQL parser): strings, ranges, label lists and functions are skipped.
 */
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "bool",
  "and",
  "or",
  "unless",
  "inf",
  "nan",
  "Inf",
  "NaN",
]);

export interface Selector {
  name: string;
  /** Label names matched in `{...}`. */
  labels: string[];
}

export function selectorsIn(expr: string): Selector[] {
  // Grafana's label_values(metric, label) / label_values(metric{...}, label).
  const labelValues = /label_values\(\s*([A-Za-z_:][\w:]*)\s*(\{[^}]*\})?\s*,\s*\w+\s*\)/g;
  const selectors: Selector[] = [];
  let rest = expr.replace(labelValues, (_, name: string, matchers: string | undefined) => {
    selectors.push({ name, labels: labelsOf(matchers ?? "") });
    return "";
  });
  rest = rest
    .replace(/\$\{?\w+\}?/g, "1")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const word = /[A-Za-z_:][\w:]*/g;
  for (let match = word.exec(rest); match !== null; match = word.exec(rest)) {
    const name = match[0];
    const before = rest[match.index - 1] ?? "";
    const after = rest.slice(match.index + name.length);
    if (/^\s*\{/.test(after)) {
      const close = findClose(after);
      const matchers = after.slice(0, close + 1);
      word.lastIndex = match.index + name.length + close + 1;
      if (!KEYWORDS.has(name)) selectors.push({ name, labels: labelsOf(matchers) });
      continue;
    }
    if (/[\d.]/.test(before) || /^\s*\(/.test(after) || KEYWORDS.has(name)) continue;
    if (/^"/.test(after) || /"$/.test(rest.slice(0, match.index))) continue;
    selectors.push({ name, labels: [] });
  }
  return selectors;
}

function findClose(text: string): number {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && text[i - 1] !== "\\") inString = !inString;
    if (c === "}" && !inString) return i;
  }
  throw new Error(`unclosed label matchers in ${text}`);
}

function labelsOf(matchers: string): string[] {
  return [...matchers.matchAll(/(\w+)\s*(?:=~|!~|!=|=)\s*"/g)].map((m) => m[1]!);
}

/** The base metric of a histogram or summary series name. */
export function baseName(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, "");
}
