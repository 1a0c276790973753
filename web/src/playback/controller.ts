// The timeline of one open pad, outside React: it loads the record over the
// pad's socket (PadClient's `history` requests), builds the model, keeps
// the moment shown, drives the play clock with animation frames, and makes
// the downloads.  One per Session (playbackOf); Timeline.tsx draws its
// store and calls its methods.
import { createStore, type Store } from "../lib/store";
import type { ClientEvent, PadClient } from "../lib/padClient";
import type { Role } from "../lib/protocol";
import type { Session } from "../app/session";
import {
  Playback,
  PlayClock,
  loadRecord,
  loadUpdates,
  type HistoryFetch,
  type HistoryPage,
  type Moment,
} from "./model";
import type { PadRecord } from "./record";
import { exportFileName, recordJSON, reportMarkdown, type ExportMeta, type NotesHistory } from "./export";

export const SPEEDS = [1, 4, 16] as const;
export type Speed = (typeof SPEEDS)[number];

export interface TimelineState {
  open: boolean;
  status: "idle" | "loading" | "ready" | "error";
  error: string | null;
  loaded: number; // updates read so far
  head: number | null; // the pad's version as the first page said
  start: number; // ms since the epoch
  end: number;
  time: number;
  playing: boolean;
  speed: Speed;
  moment: Moment | null;
}

const initial: TimelineState = {
  open: false,
  status: "idle",
  error: null,
  loaded: 0,
  head: null,
  start: 0,
  end: 0,
  time: 0,
  playing: false,
  speed: 1,
  moment: null,
};

// May this role read the pad's history (docs/protocol.md, the roles table)?
export function mayReplay(role: Role | null, playback: boolean): boolean {
  return role === "owner" || role === "editor" || (role === "observer" && playback);
}

// History pages through the pad client: each request is answered by the
// page from the same version of the same document, or fails on an error the
// daemon sent meanwhile (forbidden), a lost connection, or after timeoutMs.
// rate_limited (past the reader's budget) asks again after retryMs.
export function clientHistoryFetch(
  client: Pick<PadClient, "on" | "requestHistory">,
  onPage?: (page: HistoryPage) => void,
  timeoutMs = 30000,
  retryMs = 1000,
): HistoryFetch {
  return (doc, from) =>
    new Promise<HistoryPage>((resolve, reject) => {
      let off = () => {};
      let retry: ReturnType<typeof setTimeout> | null = null;
      const timer = setTimeout(() => fail("the pad did not send its history in time"), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        if (retry) clearTimeout(retry);
        off();
      };
      const fail = (why: string) => {
        done();
        reject(new Error(why));
      };
      off = client.on((e: ClientEvent) => {
        if (e.kind === "toast" && e.code === "rate_limited" && !retry) {
          // a page costs 100 of the update budget (docs/protocol.md), which
          // refills at ws.updates_per_second: ask again in a while
          retry = setTimeout(() => {
            retry = null;
            if (!client.requestHistory(doc, from)) fail("not connected to the pad");
          }, retryMs);
        } else if (e.kind === "history" && e.page.doc === doc && e.page.from === from) {
          done();
          const page: HistoryPage = { type: "history", ...e.page };
          onPage?.(page);
          resolve(page);
        } else if (e.kind === "toast" && e.level === "error" && e.code === "forbidden") fail(e.text);
        else if (e.kind === "state" && e.state !== "connected") fail("the connection to the pad was lost");
      });
      if (!client.requestHistory(doc, from)) fail("not connected to the pad");
    });
}

export class PlaybackController {
  readonly view: Store<TimelineState> = createStore(initial);
  model: Playback | null = null;
  record: PadRecord | null = null;
  private clock: PlayClock | null = null;
  private frame: number | null = null;
  private loading: Promise<void> | null = null;

  constructor(private readonly session: Session) {}

  private patch(p: Partial<TimelineState>): void {
    this.view.set((v) => ({ ...v, ...p }));
  }

  private fetcher(): HistoryFetch {
    const client = this.session.client;
    if (!client) return () => Promise.reject(new Error("not connected to the pad"));
    return clientHistoryFetch(client, (page) =>
      this.patch({
        loaded: page.from + page.updates.length,
        ...(page.from === 0 ? { head: page.head } : {}),
      }),
    );
  }

  // Opens the timeline and (re)loads the record: the pad has gone on since
  // the last time.  It starts at the end, the text as it is now.
  open(): void {
    this.patch({ open: true });
    void this.load().then(() => {
      if (this.model) this.seek(this.model.end);
    });
  }

  close(): void {
    this.pause();
    this.patch({ open: false });
  }

  load(): Promise<void> {
    if (this.loading) return this.loading;
    this.patch({ status: "loading", error: null, loaded: 0, head: null });
    this.loading = loadRecord(this.fetcher())
      .then((record) => {
        this.record = record;
        this.model = new Playback(record);
        this.clock = new PlayClock(this.model.start, this.model.end);
        this.patch({ status: "ready", start: this.model.start, end: this.model.end });
      })
      .catch((e: Error) => {
        this.patch({ status: "error", error: `The history could not be read: ${e.message}` });
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  seek(t: number): void {
    if (!this.model || !this.clock) return;
    this.clock.seek(t, performance.now());
    this.show();
  }

  private show(): void {
    if (!this.model || !this.clock) return;
    const time = this.clock.time;
    this.patch({ time, moment: this.model.seek(time), playing: this.clock.playing });
  }

  togglePlay(): void {
    if (this.view.get().playing) this.pause();
    else this.play();
  }

  play(): void {
    if (!this.clock) return;
    this.clock.play(performance.now());
    this.show();
    const step = () => {
      this.frame = null;
      if (!this.clock?.playing) return;
      this.clock.tick(performance.now());
      this.show();
      if (this.clock.playing) this.frame = requestAnimationFrame(step);
    };
    if (this.frame === null) this.frame = requestAnimationFrame(step);
  }

  pause(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    if (!this.clock) return;
    this.clock.pause(performance.now());
    this.show();
  }

  setSpeed(speed: Speed): void {
    this.clock?.setSpeed(speed, performance.now());
    this.patch({ speed });
  }

  nextRun(): void {
    const t = this.model?.nextRun(this.view.get().time);
    if (t !== null && t !== undefined) this.seek(t);
  }

  nextBurst(): void {
    const t = this.model?.nextBurst(this.view.get().time);
    if (t !== null && t !== undefined) this.seek(t);
  }

  // The downloads (owners): the record as it is now, and the notes.
  async download(kind: "record" | "report"): Promise<void> {
    try {
      await this.load();
      if (!this.record) throw new Error(this.view.get().error ?? "no record");
      const notes = await this.notes();
      const v = this.session.view.get();
      const meta: ExportMeta = { pad: this.session.padId, title: v.controls?.title ?? "", controls: v.controls };
      const text = kind === "record" ? recordJSON(meta, this.record, notes) : reportMarkdown(meta, this.record, notes);
      saveFile(
        exportFileName(this.session.padId, kind),
        text,
        kind === "record" ? "application/json" : "text/markdown",
      );
    } catch (e) {
      this.session.toast(`The ${kind} could not be made: ${(e as Error).message}`, "error");
    }
  }

  private async notes(): Promise<NotesHistory | null> {
    try {
      const { updates } = await loadUpdates(this.fetcher(), "notes");
      return { updates };
    } catch {
      return null; // no notes on this pad (an open pad), or not this role's
    }
  }
}

function saveFile(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const controllers = new WeakMap<Session, PlaybackController>();

export function playbackOf(session: Session): PlaybackController {
  let c = controllers.get(session);
  if (!c) {
    c = new PlaybackController(session);
    controllers.set(session, c);
  }
  return c;
}
