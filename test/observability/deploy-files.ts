/** deploy/ as the deploy tests read it: the Compose file (YAML merge keys resolved) and the Kubernetes objects. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments, parse } from "yaml";

export const ROOT = path.resolve(__dirname, "../..");
export const DEPLOY = path.join(ROOT, "deploy");

export type Env = Record<string, string>;
export interface ComposeService {
  build?: { args?: { ENTRY?: string } };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full, pattern);
    return pattern.test(name) ? [full] : [];
  });
}

export const compose = parse(readFileSync(path.join(DEPLOY, "compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<string, ComposeService>;
};
export const envOf = (service: string): Env =>
  Object.fromEntries(
    Object.entries(compose.services[service]?.environment ?? {}).map(([k, v]) => [k, String(v)]),
  );
const k8s: K8sObject[] = filesUnder(path.join(DEPLOY, "kubernetes"), /\.yaml$/)
  .filter((f) => !f.endsWith("kustomization.yaml"))
  .flatMap((f) => parseAllDocuments(readFileSync(f, "utf8")).map((d) => d.toJS() as K8sObject))
  .filter((o) => o !== null);
export const ofKind = (kind: string): K8sObject[] => k8s.filter((o) => o.kind === kind);
