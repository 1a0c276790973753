import type { Session } from "../app/session";
import { useStore } from "../app/useStore";
import { mayReplay, playbackOf } from "./controller";

// The header's buttons: the timeline for those who may read the history
// (owners, editors of an open pad, observers when the owner allows it), the
// downloads for owners.
export function PlaybackButtons({ session }: { session: Session }) {
  const v = useStore(session.view);
  const pb = playbackOf(session);
  const t = useStore(pb.view);
  if (!mayReplay(v.role, !!v.controls?.playback)) return null;
  const ready = v.ready && v.connection === "connected";
  return (
    <>
      <button
        type="button"
        data-testid="open-timeline"
        aria-pressed={t.open}
        onClick={() => (t.open ? pb.close() : pb.open())}
        disabled={!ready && !t.open}
        title="Replay the pad: its text, who wrote what, and its runs over time"
      >
        {t.open ? "Back to the pad" : "Timeline"}
      </button>
      {v.role === "owner" && (
        <>
          <button
            type="button"
            data-testid="export-json"
            onClick={() => void pb.download("record")}
            disabled={!ready}
            title="Download the whole record of the pad as JSON"
          >
            Download record
          </button>
          <button
            type="button"
            data-testid="export-report"
            onClick={() => void pb.download("report")}
            disabled={!ready}
            title="Download a report of the interview (Markdown)"
          >
            Download report
          </button>
        </>
      )}
    </>
  );
}
