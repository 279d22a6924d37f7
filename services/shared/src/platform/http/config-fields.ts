/** Configuration fields the channel connectors share (see ../config.ts for the basic ones). */
import type { Field } from "../config";

/**
 * `key=value,key=value` → record; keys and values trimmed, neither empty, keys unique.
 * `validValue` returns a problem or undefined.
 */
export function keyValues(
  fallback?: Record<string, string>,
  validValue: (value: string) => string | undefined = () => undefined,
): Field<Record<string, string>> {
  return {
    read(env, name, problems) {
      const raw = env[name];
      if (raw === undefined || raw.trim() === "") {
        if (fallback !== undefined) return { ...fallback };
        problems.push(`${name} is required`);
        return {};
      }
      const out: Record<string, string> = {};
      for (const entry of raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)) {
        const at = entry.indexOf("=");
        const key = at < 0 ? "" : entry.slice(0, at).trim();
        const value = at < 0 ? "" : entry.slice(at + 1).trim();
        const problem =
          key === "" || value === ""
            ? `entry "${entry}" must be key=value`
            : Object.hasOwn(out, key)
              ? `key "${key}" appears twice`
              : validValue(value);
        if (problem !== undefined) problems.push(`${name}: ${problem}`);
        else out[key] = value;
      }
      return out;
    },
  };
}

export const isHttpUrl = (raw: string): boolean => /^https?:\/\/[^\s/]+(\/\S*)?$/.test(raw);

/** An absolute http(s) URL, kept without its trailing slash. */
export function httpUrl(fallback?: string): Field<string> {
  return {
    read(env, name, problems) {
      const raw = env[name] === undefined || env[name] === "" ? fallback : env[name];
      if (raw === undefined) {
        problems.push(`${name} is required`);
        return "";
      }
      if (!isHttpUrl(raw)) {
        problems.push(`${name}=${JSON.stringify(raw)}: expected an http(s) URL`);
        return "";
      }
      return raw.replace(/\/+$/, "");
    },
  };
}

/** Environment variable name for a configured name: "meta-backup" → "META_BACKUP". */
export const envNamePart = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
