import { PodConnection, type PodConnectionOptions } from './podConnection';

/** One PodConnection per pod URL for a datasource instance (each ref-counts its own socket). */
export class PodPool {
  private readonly conns = new Map<string, PodConnection>();

  constructor(private readonly base: Omit<PodConnectionOptions, 'url'>) {}

  get(url: string): PodConnection {
    let c = this.conns.get(url);
    if (!c) {
      c = new PodConnection({ ...this.base, url });
      this.conns.set(url, c);
    }
    return c;
  }

  all(): PodConnection[] {
    return [...this.conns.values()];
  }

  dispose(): void {
    for (const c of this.conns.values()) c.dispose();
    this.conns.clear();
  }
}
