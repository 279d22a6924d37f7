/**
 * `npm run assistant:accuracy [-- --misses]`: the offline classifier's accuracy on the labelled
 * messages (held-out and development sets), per language and overall, with a confusion summary.
 */
import { understandOffline } from "../src/core/understand";
import { formatReport, labelledMessages, measureAccuracy } from "./accuracy-report";

async function main(): Promise<void> {
  const misses = process.argv.includes("--misses");
  const understand = (text: string) => understandOffline(text);
  const holdout = await measureAccuracy(understand, labelledMessages("holdout"));
  const dev = await measureAccuracy(understand, labelledMessages("dev"));
  process.stdout.write(
    [
      formatReport("Held-out set (never tuned on; the figure to quote)", holdout, misses),
      "",
      formatReport("Development set (the lexicons were checked against it)", dev, misses),
      "",
    ].join("\n"),
  );
}

void main();
