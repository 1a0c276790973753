// The owners' notes: a second CodeMirror view, the pad client's notes
// DocHost (docs/protocol.md, "Notes").  It is made before the welcome says
// whether this page is an owner's, without a parent; the notes pane
// attaches its DOM when it is drawn, so its state survives the pane being
// hidden or drawn again.
import { EditorState, Transaction, TransactionSpec } from "@codemirror/state";
import { EditorView, keymap, placeholder, drawSelection, highlightSpecialChars } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { collab } from "@codemirror/collab";
import type { DocHost } from "../lib/docSync";

const theme = EditorView.theme({
  "&": { height: "100%", color: "var(--fg)", backgroundColor: "var(--panel)" },
  ".cm-scroller": { fontFamily: "inherit", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--fg)", padding: "8px 0" },
  ".cm-line": { padding: "0 10px" },
  "&.cm-focused": { outline: "none" },
  ".cm-placeholder": { color: "var(--muted)" },
});

export class NotesEditor implements DocHost {
  readonly view: EditorView;
  ready = false;

  constructor(private readonly onLocal: () => void) {
    this.view = new EditorView({
      state: EditorState.create({ doc: "", extensions: [theme, EditorState.readOnly.of(true)] }),
    });
  }

  get state(): EditorState {
    return this.view.state;
  }

  dispatch(spec: TransactionSpec): void {
    this.view.dispatch(spec);
  }

  reset(doc: string, version: number, clientID: string): void {
    const sel = this.ready ? this.view.state.selection.main.head : 0;
    this.view.setState(
      EditorState.create({
        doc,
        selection: { anchor: Math.min(sel, doc.length) },
        extensions: [
          collab({ startVersion: version, clientID }),
          theme,
          history(),
          drawSelection(),
          highlightSpecialChars(),
          EditorView.lineWrapping,
          keymap.of([...defaultKeymap, ...historyKeymap]),
          placeholder("Your notes on this interview. Only interviewers see them."),
          EditorView.contentAttributes.of({ "aria-label": "Interviewer notes", "data-testid": "notes-content" }),
          EditorView.updateListener.of((u) => {
            if (u.transactions.some((tr) => tr.docChanged && tr.annotation(Transaction.remote) !== true))
              this.onLocal();
          }),
        ],
      }),
    );
    this.ready = true;
  }

  // Put the view in `parent` (the pane); it moves there from wherever it was.
  attach(parent: HTMLElement): void {
    parent.appendChild(this.view.dom);
    this.view.requestMeasure();
  }

  get text(): string {
    return this.view.state.doc.toString();
  }

  destroy(): void {
    this.view.destroy();
  }
}
