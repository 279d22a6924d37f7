/**
 * A Redis-like sorted set: members ordered by (score, member), with score lookups by member.
 * Kept as a sorted array with binary search; inserts shift the array, which is fine for the
 * set sizes of the in-process mode (timers of one node).
 */
export interface ScoredMember {
  score: number;
  member: string;
}

// Redis orders equal scores by member bytes (memcmp). JS compares UTF-16 code units, which
// agrees for everything but astral characters against U+E000..U+FFFF; our members are ids.
function compare(a: ScoredMember, b: ScoredMember): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  if (a.member === b.member) return 0;
  return a.member < b.member ? -1 : 1;
}

export class SortedSet {
  private readonly scores = new Map<string, number>();
  private readonly ordered: ScoredMember[] = [];

  get size(): number {
    return this.scores.size;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Adds or re-scores a member; true when it was not there before. */
  add(member: string, score: number): boolean {
    const previous = this.scores.get(member);
    if (previous === score) return false;
    if (previous !== undefined) this.removeFromOrder({ score: previous, member });
    const entry = { score, member };
    this.ordered.splice(this.lowerBound(entry), 0, entry);
    this.scores.set(member, score);
    return previous === undefined;
  }

  remove(member: string): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    this.removeFromOrder({ score, member });
    this.scores.delete(member);
    return true;
  }

  /** Members with min <= score <= max in order; at most `limit` when limit >= 0. */
  rangeByScore(min: number, max: number, limit = -1): ScoredMember[] {
    const result: ScoredMember[] = [];
    // "" sorts before every member, so this finds the first entry with score >= min.
    for (let i = this.lowerBound({ score: min, member: "" }); i < this.ordered.length; i++) {
      const entry = this.ordered[i];
      if (entry === undefined || entry.score > max) break;
      if (limit >= 0 && result.length >= limit) break;
      result.push({ score: entry.score, member: entry.member });
    }
    return result;
  }

  private removeFromOrder(entry: ScoredMember): void {
    const index = this.lowerBound(entry);
    const found = this.ordered[index];
    if (found && compare(found, entry) === 0) this.ordered.splice(index, 1);
  }

  /** Index of the first entry not less than `entry`. */
  private lowerBound(entry: ScoredMember): number {
    let low = 0;
    let high = this.ordered.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const candidate = this.ordered[mid];
      if (candidate !== undefined && compare(candidate, entry) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
