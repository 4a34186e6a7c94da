/** A fixed-capacity FIFO ring: push fails (returns false) when full, so callers drop as etcd does. */
export class BoundedQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  /** Items queued. */
  length = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.items = new Array(capacity);
  }

  push(item: T): boolean {
    if (this.length === this.capacity) return false;
    this.items[(this.head + this.length) % this.capacity] = item;
    this.length++;
    return true;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return item;
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  /** Empties the queue; returns how many items were discarded. */
  clear(): number {
    const n = this.length;
    while (this.length > 0) this.shift();
    this.head = 0;
    return n;
  }
}
