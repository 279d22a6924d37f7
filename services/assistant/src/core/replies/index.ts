/** Replies per language. Each is rendered from plain data; none contains a code. */
import type { Language } from "../types";
import { EN } from "./en";
import { FIL } from "./fil";
import { ID } from "./id";
import { MS } from "./ms";
import type { Phrases } from "./phrases";
import { TH } from "./th";
import { VI } from "./vi";

export type { Phrases } from "./phrases";

export const PHRASES: Record<Language, Phrases> = { en: EN, id: ID, ms: MS, th: TH, vi: VI, fil: FIL };
