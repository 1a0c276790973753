import type { Session } from "./app/session";
import { useStore } from "./app/useStore";
import { EditorPane } from "./editor/EditorPane";
import { Participants } from "./presence/Participants";
import { SideTabs } from "./tests/SideTabs";
import { Connection } from "./ui/Connection";
import { SettingsMenu } from "./ui/SettingsMenu";
import { Libraries } from "./ui/Libraries";
import { ToolchainPicker } from "./ui/Toolchain";
import { Toasts } from "./ui/Toasts";
import { ClosedPage } from "./ui/ClosedPage";
import { RoleBanner } from "./roles/RoleBanner";
import { OwnerPanel } from "./roles/OwnerPanel";
import { PlaybackButtons } from "./playback/PlaybackButtons";
import { Timeline } from "./playback/Timeline";
import { playbackOf } from "./playback/controller";

export function App({ session }: { session: Session }) {
  const v = useStore(session.view);
  const timeline = useStore(playbackOf(session).view).open;
  const runtime = v.runtimes.find((r) => r.language === v.language);
  const known = runtime !== undefined;
  if (v.closed) return <ClosedPage closed={v.closed} />;
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="./" aria-label="runpad: start a new interview" title="Start a new interview">
          runpad
        </a>
        {v.controls.title && (
          <h1 className="pad-title" data-testid="title" title={v.controls.title}>
            {v.controls.title}
          </h1>
        )}
        <label htmlFor="language-select" className="visually-hidden">
          Language
        </label>
        <select
          id="language-select"
          data-testid="language"
          value={v.language}
          onChange={(e) => session.setLanguage(e.target.value)}
          aria-label="Language of the pad (shared with everyone)"
          disabled={!v.ready || !v.may.edit}
        >
          {!v.language && <option value="">Choose a language…</option>}
          {v.language && !known && <option value={v.language}>{v.language}</option>}
          {v.runtimes.map((r) => (
            <option key={r.language} value={r.language}>
              {r.name}
              {r.version && r.version !== "0" ? ` ${r.version}` : ""}
            </option>
          ))}
        </select>
        <ToolchainPicker
          runtime={runtime}
          toolchain={v.toolchain}
          disabled={!v.ready || !v.may.edit}
          onVariant={(id) => session.setVariant(id)}
          onOption={(name, value) => session.setOption(name, value)}
        />
        <Libraries runtime={runtime} />
        <button
          type="button"
          className="primary"
          data-testid="run"
          onClick={() => session.run()}
          disabled={!v.ready || !v.may.run || v.run.active || v.connection !== "connected"}
          aria-label="Run the pad (Ctrl or Cmd + Enter)"
          title="Run (Ctrl/⌘-Enter)"
        >
          {v.run.active ? "Running…" : "▶ Run"}
        </button>
        <button
          type="button"
          data-testid="stop"
          onClick={() => session.stop()}
          disabled={!v.run.active || !v.may.run}
          aria-label="Stop the running program"
        >
          ■ Stop
        </button>
        <span className="spacer" />
        <PlaybackButtons session={session} />
        <Connection state={v.connection} />
        <button
          type="button"
          data-testid="copy-link"
          onClick={() => void session.copyLink()}
          aria-label={v.role === "owner" ? "Copy the candidate's link" : "Copy the link of this pad"}
          title={v.role === "owner" ? "Copy the candidate's link" : v.link}
        >
          Copy link
        </button>
        <SettingsMenu session={session} />
      </header>
      <RoleBanner session={session} />
      {v.may.owner && <OwnerPanel session={session} />}
      {v.fatal && (
        <div className="fatal" role="alert">
          {v.fatal} <a href="./">Start a new pad</a>
        </div>
      )}
      {v.runtimesError && (
        <div className="warn" role="alert">
          {v.runtimesError}
        </div>
      )}
      <Timeline session={session} />
      <main className="workspace" style={timeline ? { display: "none" } : undefined}>
        <div className="editor-wrap">
          <EditorPane session={session} />
        </div>
        <aside className="side">
          <Participants session={session} />
          <SideTabs session={session} />
        </aside>
      </main>
      <Toasts session={session} />
    </div>
  );
}
