/** Every PromQL expression the Grafana dashboards and the Prometheus rules in deploy/ use. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

const DEPLOY_DIR = path.resolve(__dirname, "../../deploy");

export interface Query {
  /** File and place, for messages. */
  source: string;
  expr: string;
}

export function dashboardQueries(): Query[] {
  const dir = path.join(DEPLOY_DIR, "grafana/dashboards");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as unknown;
      return queriesIn(dashboard, file);
    });
}

function queriesIn(node: unknown, where: string): Query[] {
  if (Array.isArray(node)) return node.flatMap((n) => queriesIn(n, where));
  if (node === null || typeof node !== "object") return [];
  const found: Query[] = [];
  const record = node as Record<string, unknown>;
  const title = typeof record.title === "string" ? `${where} › ${record.title}` : where;
  if (typeof record.expr === "string") found.push({ source: title, expr: record.expr });
  // Template variables: { query: { query: "label_values(...)" } } or { query: "..." }.
  if (record.type === "query" && typeof record.name === "string") {
    const query = record.query as { query?: unknown } | string | undefined;
    const text = typeof query === "string" ? query : query?.query;
    if (typeof text === "string") found.push({ source: `${where} › $${record.name}`, expr: text });
  }
  for (const [key, value] of Object.entries(record)) {
    if (key !== "query") found.push(...queriesIn(value, title));
  }
  return found;
}

export interface RuleFiles {
  queries: Query[];
  /** Names defined by recording rules. */
  recorded: Set<string>;
}

export function ruleQueries(): RuleFiles {
  const dir = path.join(DEPLOY_DIR, "prometheus/rules");
  const queries: Query[] = [];
  const recorded = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yml"))) {
    const doc = parse(readFileSync(path.join(dir, file), "utf8")) as {
      groups: Array<{ name: string; rules: Array<{ record?: string; alert?: string; expr: string }> }>;
    };
    for (const group of doc.groups) {
      for (const rule of group.rules) {
        if (rule.record) recorded.add(rule.record);
        queries.push({ source: `${file} › ${rule.record ?? rule.alert ?? group.name}`, expr: rule.expr });
      }
    }
  }
  return { queries, recorded };
}
