import { useCallback, useMemo } from "react";
import type { Session } from "../app/session";
import { useStore } from "../app/useStore";
import { modeOfLanguage } from "../editor/languages";
import { clockText } from "./export";
import { playbackOf, SPEEDS, type Speed } from "./controller";
import type { Mark, Playback } from "./model";
import { TimelineText, tint } from "./TimelineText";
import { TimelineOutput } from "./TimelineOutput";
import "./timeline.css";

function markColor(m: Mark): string {
  if (m.kind === "burst") return "var(--accent)";
  if (m.kind === "control") return "#d29922";
  if (!m.verdict) return "var(--muted)";
  return m.verdict === "accepted" ? "var(--ok)" : "var(--bad)";
}

function Ticks({ model, onSeek }: { model: Playback; onSeek: (t: number) => void }) {
  const marks = useMemo(() => model.marks(), [model]);
  const span = Math.max(1, model.end - model.start);
  return (
    <div className="timeline-ticks" aria-hidden="true">
      {marks.map((m, i) => (
        <span
          key={i}
          className={`timeline-tick ${m.kind}`}
          data-kind={m.kind}
          data-verdict={m.verdict ?? ""}
          style={{ left: `${((m.t - model.start) / span) * 100}%`, background: markColor(m) }}
          title={`${clockText(m.t - model.start)} ${m.label}`}
          onClick={() => onSeek(m.t)}
        />
      ))}
    </div>
  );
}

// The pad's history: a scrubber over the interview with its runs, bursts of
// typing and control changes marked, play at 1x/4x/16x, and the text (with
// who wrote what) and the run output of the moment.
export function Timeline({ session }: { session: Session }) {
  const pb = playbackOf(session);
  const t = useStore(pb.view);
  const pad = useStore(session.view);
  const dark = useStore(session.dark);
  const seek = useCallback((time: number) => pb.seek(time), [pb]);
  const model = t.status === "ready" ? pb.model : null;
  // a participant's last name in the record
  const nameOf = useCallback(
    (id: string) => {
      let name: string | null = null;
      for (const a of model?.authors ?? []) if (a.id === id) name = a.name;
      return name;
    },
    [model],
  );
  if (!t.open) return null;
  const m = t.moment;
  const duration = Math.max(0, t.end - t.start);
  const language = m?.language ?? pad.language;
  const mode = language ? modeOfLanguage(language, pad.runtimes) : null;
  return (
    <section className="timeline" data-testid="timeline" aria-label="Timeline of the pad">
      <div className="timeline-bar">
        <strong>Timeline{pad.controls?.title ? ` · ${pad.controls.title}` : ""}</strong>
        <button
          type="button"
          data-testid="timeline-play"
          className="primary"
          onClick={() => pb.togglePlay()}
          disabled={t.status !== "ready"}
          aria-label={t.playing ? "Pause" : "Play"}
        >
          {t.playing ? "❚❚ Pause" : "▶ Play"}
        </button>
        <label htmlFor="timeline-speed" className="visually-hidden">
          Speed
        </label>
        <select
          id="timeline-speed"
          data-testid="timeline-speed"
          value={t.speed}
          onChange={(e) => pb.setSpeed(Number(e.target.value) as Speed)}
          aria-label="Playback speed"
        >
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s}×
            </option>
          ))}
        </select>
        <button
          type="button"
          data-testid="timeline-next-run"
          onClick={() => pb.nextRun()}
          disabled={!model || model.nextRun(t.time) === null}
        >
          Next run »
        </button>
        <button
          type="button"
          data-testid="timeline-next-burst"
          onClick={() => pb.nextBurst()}
          disabled={!model || model.nextBurst(t.time) === null}
          title="The next start of typing after a pause"
        >
          Next typing »
        </button>
        <span className="timeline-time" data-testid="timeline-time" aria-live="off">
          {clockText(t.time - t.start)} / {clockText(duration)}
          {m ? ` · version ${m.version}` : ""}
        </span>
        <span className="spacer" />
        <button type="button" onClick={() => pb.close()} aria-label="Close the timeline">
          ✕ Close
        </button>
      </div>
      <div className="timeline-scrub">
        {model && <Ticks model={model} onSeek={seek} />}
        <input
          type="range"
          data-testid="timeline-scrubber"
          min={0}
          max={duration}
          step={1}
          value={Math.round(t.time - t.start)}
          onChange={(e) => seek(t.start + Number(e.target.value))}
          disabled={t.status !== "ready"}
          aria-label="Time since the start of the pad"
          aria-valuetext={clockText(t.time - t.start)}
        />
      </div>
      {t.status === "loading" && (
        <div className="hint timeline-status" role="status">
          Reading the history… {t.loaded}
          {t.head !== null ? ` of ${t.head}` : ""} versions
        </div>
      )}
      {t.status === "error" && (
        <div className="warn timeline-status" role="alert">
          {t.error}
        </div>
      )}
      <div className="timeline-body">
        <div className="timeline-code">
          <TimelineText text={m?.text ?? ""} spans={m?.spans ?? []} dark={dark} mode={mode} />
          <ul className="timeline-legend" aria-label="Who wrote the text" hidden={!m?.authors.length}>
            {(m?.authors ?? []).map((a) => (
              <li key={a.key}>
                <span className="swatch" style={{ background: tint(a.color, "99") }} />
                {a.name}
                {a.role ? <span className="hint"> ({a.role})</span> : null}
              </li>
            ))}
          </ul>
        </div>
        <aside className="timeline-side">
          <TimelineOutput run={m?.run ?? null} dark={dark} nameOf={nameOf} />
          <div className="timeline-present">
            <span className="hint">In the pad: </span>
            {m && m.present.length ? m.present.map((p) => p.name).join(", ") : "nobody"}
          </div>
        </aside>
      </div>
    </section>
  );
}
