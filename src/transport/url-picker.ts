/**
 * etcd's urlPicker: a peer's URL list and the one in use. Shared by all parts of a peer, so a stream
 * dial failure also moves the pipeline and snapshot sender to the next URL.
 */
export class UrlPicker {
  private urls: string[];
  private picked = 0;

  constructor(urls: string[]) {
    this.urls = urls;
  }

  /** The URL in use. */
  pick(): string {
    return this.urls[this.picked]!;
  }

  /** Replaces the list and starts over at its first URL. */
  update(urls: string[]): void {
    this.urls = urls;
    this.picked = 0;
  }

  /** Marks `url` unreachable: if it is the one in use, move to the next. */
  unreachable(url: string): void {
    if (this.urls[this.picked] === url) this.picked = (this.picked + 1) % this.urls.length;
  }

  /** A copy of the list. */
  all(): string[] {
    return [...this.urls];
  }
}
