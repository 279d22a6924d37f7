/** The default LanguageModelPort: the offline classifier, in the process, no outside service. */
import { understandOffline } from "../core/understand";
import type { LanguageModelPort } from "../ports";

export function createOfflineLanguageModel(): LanguageModelPort {
  return {
    name: "offline",
    understand: async (text, context) => understandOffline(text, context.previousLanguage),
  };
}
