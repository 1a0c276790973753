import { useEffect, useRef } from "react";
import { Compartment, EditorState, StateEffect, StateField, type Extension } from "@codemirror/state";
import { Decoration, EditorView, lineNumbers, type DecorationSet } from "@codemirror/view";
import { editorTheme } from "../editor/theme";
import { loadMode } from "../editor/languages";
import { diffText } from "../lib/textDiff";
import type { AuthorSpan } from "./model";

// A colour as a background tint: #rgb / #rrggbb with an alpha.
export function tint(color: string, alpha = "40"): string {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
  if (!m) return "transparent";
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join("") : m[1];
  return `#${hex}${alpha}`;
}

const setSpans = StateEffect.define<DecorationSet>();
const spansField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update: (deco, tr) => {
    for (const e of tr.effects) if (e.is(setSpans)) return e.value;
    return deco.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

function decorations(spans: AuthorSpan[]): DecorationSet {
  const marks = spans
    .filter((s) => s.to > s.from)
    .map((s) =>
      Decoration.mark({
        attributes: {
          style: `background-color: ${tint(s.author.color)}`,
          title: s.author.name,
          "data-author": s.author.id,
        },
      }).range(s.from, s.to),
    );
  return Decoration.set(marks);
}

// The text of the moment, read-only, each part tinted in its author's
// colour.  The view is made once; each moment is a change from the text
// shown to the new one (so the scroll position stays) and new marks.
export function TimelineText({
  text,
  spans,
  dark,
  mode,
}: {
  text: string;
  spans: AuthorSpan[];
  dark: boolean;
  mode: string | null;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  const parts = useRef({ theme: new Compartment(), language: new Compartment() });

  useEffect(() => {
    const { theme, language } = parts.current;
    const extensions: Extension[] = [
      lineNumbers(),
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
      theme.of(editorTheme(false)),
      language.of([]),
      spansField,
    ];
    const view = new EditorView({ parent: ref.current!, state: EditorState.create({ extensions }) });
    viewRef.current = view;
    return () => {
      view.destroy();
      viewRef.current = null;
    };
  }, []);

  useEffect(() => {
    viewRef.current?.dispatch({ effects: parts.current.theme.reconfigure(editorTheme(dark)) });
  }, [dark]);

  useEffect(() => {
    let gone = false;
    void loadMode(mode).then((ext) => {
      if (!gone) viewRef.current?.dispatch({ effects: parts.current.language.reconfigure(ext) });
    });
    return () => {
      gone = true;
    };
  }, [mode]);

  useEffect(() => {
    const view = viewRef.current;
    if (!view) return;
    const changes = diffText(view.state.doc, text);
    view.dispatch({ changes, effects: setSpans.of(decorations(spans)) });
  }, [text, spans]);

  return <div className="timeline-text" data-testid="timeline-text" ref={ref} aria-label="The text at this moment" />;
}
