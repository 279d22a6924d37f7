/**
 * The due times of one partition's timers, earliest first: a binary min-heap. Entries are
 * never removed early; the owner checks each popped entry against the verification's state and
 * drops the ones that no longer stand (a fallback timer of an attempt routing moved on from).
 */
export interface DueTimer {
  at: number;
  verificationId: string;
  kind: "fallback" | "expiry" | "evict";
  /** The attempt of a fallback timer. */
  attempt: number;
}

export interface TimerHeap {
  push(timer: DueTimer): void;
  peek(): DueTimer | undefined;
  pop(): DueTimer | undefined;
  readonly size: number;
}

export function createTimerHeap(): TimerHeap {
  const items: DueTimer[] = [];
  const swap = (a: number, b: number) => {
    const t = items[a]!;
    items[a] = items[b]!;
    items[b] = t;
  };
  const up = (index: number) => {
    for (let i = index; i > 0;) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= items[i]!.at) return;
      swap(i, parent);
      i = parent;
    }
  };
  const down = (index: number) => {
    for (let i = index; ;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < items.length && items[left]!.at < items[least]!.at) least = left;
      if (right < items.length && items[right]!.at < items[least]!.at) least = right;
      if (least === i) return;
      swap(i, least);
      i = least;
    }
  };
  return {
    push(timer) {
      items.push(timer);
      up(items.length - 1);
    },
    peek: () => items[0],
    pop() {
      const top = items[0];
      const last = items.pop();
      if (items.length > 0 && last) {
        items[0] = last;
        down(0);
      }
      return top;
    },
    get size() {
      return items.length;
    },
  };
}
