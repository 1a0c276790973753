// The run's terminal text, kept for terminals attached later (the xterm
// view loads lazily and remounts): the last 1 to 2 MiB of it, written
// through to every attached sink.
export interface TermSink {
  write(s: string): void;
  clear(): void;
}

export const TERM_BUFFER_MAX = 2 * 1024 * 1024;

export class TerminalFeed {
  private buffer = "";
  private sinks = new Set<TermSink>();

  write(s: string): void {
    if (!s) return;
    this.buffer += s;
    if (this.buffer.length > TERM_BUFFER_MAX) this.buffer = this.buffer.slice(-TERM_BUFFER_MAX / 2);
    for (const sink of this.sinks) sink.write(s);
  }

  clear(): void {
    this.buffer = "";
    for (const s of this.sinks) s.clear();
  }

  // A terminal shows what was written so far, then follows; the returned
  // function detaches it.
  attach(sink: TermSink): () => void {
    sink.clear();
    if (this.buffer) sink.write(this.buffer);
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }
}
