/** Reads a Prometheus text exposition: declared metrics, and the label names of each series name. */
export interface Scrape {
  /** `# TYPE` declarations: metric name → type. */
  declared: Map<string, string>;
  /** Series names with samples → the label names seen on them. */
  series: Map<string, Set<string>>;
}

export function parseExposition(text: string): Scrape {
  const declared = new Map<string, string>();
  const series = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) declared.set(type[1]!, type[2]!);
    if (line === "" || line.startsWith("#")) continue;
    const sample = /^([A-Za-z_:][\w:]*)(\{([^}]*)\})? /.exec(line);
    if (!sample) continue;
    const labels = series.get(sample[1]!) ?? new Set<string>();
    for (const m of (sample[3] ?? "").matchAll(/(\w+)="/g)) labels.add(m[1]!);
    series.set(sample[1]!, labels);
  }
  return { declared, series };
}

export async function scrape(baseUrl: string): Promise<{ text: string; parsed: Scrape }> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`${baseUrl}/metrics answered ${response.status}`);
  const text = await response.text();
  return { text, parsed: parseExposition(text) };
}
