import { useEffect, useState } from "react";
import { fetchRuntimes, type Runtime } from "../lib/api";
import { newPadId } from "../lib/padId";
import { loadSecret, saveSecret } from "../lib/links";
import { defaultLanguage, fetchTemplates, type CreateForm, type Template, type TemplatesAnswer } from "./newInterview";

export interface CreateRequest {
  form: CreateForm;
  secret: string;
  runtimes: Runtime[];
}

// The page at `<site>/` with no pad: make an interview (title, language or
// template), or a quick pad (an open pad, no links, as before links).
// `refused` says the daemon refused to make the last one (create_forbidden:
// the creation secret is missing or wrong).
export function NewInterview({
  onCreate,
  initial,
  refused,
  notice,
}: {
  onCreate: (req: CreateRequest) => void;
  initial: CreateForm | null;
  refused: boolean;
  notice: string | null;
}) {
  const [runtimes, setRuntimes] = useState<Runtime[]>([]);
  const [runtimesError, setRuntimesError] = useState<string | null>(null);
  const [secret, setSecret] = useState(loadSecret());
  const [answer, setAnswer] = useState<TemplatesAnswer | null>(null);
  const [form, setForm] = useState<CreateForm>(initial ?? { title: "", language: "", template: "" });
  const [quick] = useState(() => newPadId());

  useEffect(() => {
    fetchRuntimes().then(
      (r) => {
        setRuntimes(r);
        setForm((f) => (f.language ? f : { ...f, language: defaultLanguage(r) }));
      },
      (e: Error) => setRuntimesError(e.message),
    );
  }, []);
  // the templates, again whenever the secret changes (templates.json wants it under ws.create = secret)
  useEffect(() => {
    let live = true;
    void fetchTemplates(location.href, secret).then((a) => {
      if (live) setAnswer(a);
    });
    return () => {
      live = false;
    };
  }, [secret]);

  const templates: Template[] = answer?.kind === "ok" ? answer.templates : [];
  const wantsSecret = refused || answer?.kind === "secret" || (answer?.kind === "ok" && answer.create === "secret");
  const quickAllowed = !(answer?.kind === "ok" && answer.create !== "anyone") && answer?.kind !== "secret";
  const template = templates.find((t) => t.name === form.template) ?? null;
  const canCreate = (!!form.template || !!form.language) && (!wantsSecret || !!secret);

  return (
    <main className="new-page">
      <form
        className="new-box"
        data-testid="new-interview"
        onSubmit={(e) => {
          e.preventDefault();
          if (!canCreate) return;
          saveSecret(secret);
          onCreate({ form, secret, runtimes });
        }}
      >
        <h1>New interview</h1>
        {notice && (
          <p className="warn" role="alert">
            {notice}
          </p>
        )}
        <label>
          Title
          <input
            data-testid="new-title"
            value={form.title}
            maxLength={200}
            placeholder="e.g. Backend, round 2"
            onChange={(e) => setForm({ ...form, title: e.target.value })}
          />
        </label>
        {templates.length > 0 && (
          <label>
            Template
            <select
              data-testid="new-template"
              value={form.template}
              onChange={(e) => setForm({ ...form, template: e.target.value })}
            >
              <option value="">None: an empty pad</option>
              {templates.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.title || t.name}
                  {t.language ? ` (${t.language}` : ""}
                  {t.tests ? `, ${t.tests} test${t.tests === 1 ? "" : "s"}` : ""}
                  {t.language ? ")" : ""}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Language
          <select
            data-testid="new-language"
            value={template?.language ?? form.language}
            disabled={!!template}
            onChange={(e) => setForm({ ...form, language: e.target.value })}
          >
            {!runtimes.length && <option value="">{runtimesError ? "No languages" : "Loading…"}</option>}
            {runtimes.map((r) => (
              <option key={r.language} value={r.language}>
                {r.name}
                {r.version && r.version !== "0" ? ` ${r.version}` : ""}
              </option>
            ))}
          </select>
          {template && <span className="hint">The template chooses the language.</span>}
        </label>
        {runtimesError && <p className="hint">{runtimesError}</p>}
        {wantsSecret && (
          <label className="secret">
            Creation secret
            <input
              type="password"
              data-testid="create-secret"
              value={secret}
              autoComplete="off"
              onChange={(e) => setSecret(e.target.value)}
            />
            <span className="hint">
              This server lets only interviewers make pads. The creation secret is a password its admin set
              (ws.create_secret in runpad.conf); ask them for it. It is kept in this browser and sent only when you make
              a pad; candidates never need it.
            </span>
          </label>
        )}
        {refused && (
          <p className="error" data-testid="create-error" role="alert">
            {secret
              ? "The server refused that creation secret."
              : "The server needs its creation secret to make a pad."}
          </p>
        )}
        <div className="new-actions">
          <button type="submit" className="primary" data-testid="create" disabled={!canCreate}>
            Create
          </button>
          {quickAllowed && (
            <a className="quick" data-testid="quick-pad" href={`#${quick}`} title="An open pad: no links, no roles">
              or a quick pad: anyone with its link edits
            </a>
          )}
        </div>
      </form>
    </main>
  );
}
