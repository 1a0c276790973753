// The CodeMirror view of a pad, outside React.
//
// It is the pad client's DocHost: the client resets it to the daemon's
// text and dispatches remote updates; every local transaction is reported
// back through `onLocal` so the client can push it and share the
// selection.  Settings (language, theme, Vim, wrapping, font size) live in
// compartments and survive a reset, which rebuilds the state.
import { Compartment, EditorState, Extension, Prec, Transaction, TransactionSpec } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLineGutter,
  highlightSpecialChars,
  drawSelection,
  dropCursor,
  rectangularSelection,
  crosshairCursor,
  highlightActiveLine,
  placeholder,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, indentOnInput, foldGutter, foldKeymap } from "@codemirror/language";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { lintGutter, lintKeymap, setDiagnostics } from "@codemirror/lint";
import { collab } from "@codemirror/collab";
import type { DocHost } from "../lib/padClient";
import type { SelectionJSON } from "../lib/protocol";
import { editorTheme } from "./theme";
import { remoteCursors, setRemoteCursor, removeRemoteCursor } from "../presence/remoteCursors";
import type { EditorDiagnostic } from "./diagnostics";

export interface EditorCallbacks {
  onLocal(selection: SelectionJSON | null | undefined, docChanged: boolean): void;
  onRun(): void;
}

export function selectionJSON(state: EditorState): SelectionJSON {
  return {
    main: state.selection.mainIndex,
    ranges: state.selection.ranges.map((r) => ({ anchor: r.anchor, head: r.head })),
  };
}

export class EditorController implements DocHost {
  readonly view: EditorView;
  private language = new Compartment();
  private theme = new Compartment();
  private vim = new Compartment();
  private wrap = new Compartment();
  private font = new Compartment();
  private editable = new Compartment();
  private cur = {
    editable: false, // until the welcome says the role may edit
    language: [] as Extension,
    dark: false,
    vim: [] as Extension,
    wrap: false,
    fontSize: 14,
  };
  ready = false;

  constructor(
    parent: HTMLElement,
    private cb: EditorCallbacks,
  ) {
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: "",
        extensions: [
          this.configured(),
          EditorState.readOnly.of(true),
          EditorView.editable.of(false),
          placeholder("Connecting to the pad…"),
        ],
      }),
    });
  }

  get state(): EditorState {
    return this.view.state;
  }

  dispatch(spec: TransactionSpec): void {
    this.view.dispatch(spec);
  }

  reset(doc: string, version: number, clientID: string): void {
    const hadFocus = this.view.hasFocus;
    const sel = this.ready ? this.view.state.selection.main.head : 0;
    this.view.setState(
      EditorState.create({
        doc,
        selection: { anchor: Math.min(sel, doc.length) },
        extensions: [collab({ startVersion: version, clientID }), this.configured(), this.local()],
      }),
    );
    this.ready = true;
    if (hadFocus) this.view.focus();
  }

  private configured(): Extension {
    return [
      this.vim.of(this.cur.vim), // Vim's keymap goes before the others
      this.language.of(this.cur.language),
      this.theme.of(editorTheme(this.cur.dark)),
      this.wrap.of(this.cur.wrap ? EditorView.lineWrapping : []),
      this.font.of(fontTheme(this.cur.fontSize)),
      this.editable.of(editableExt(this.cur.editable)),
      Prec.highest(
        keymap.of([
          {
            key: "Mod-Enter",
            run: () => {
              this.cb.onRun();
              return true;
            },
          },
        ]),
      ),
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      foldGutter(),
      lintGutter(),
      drawSelection(),
      dropCursor(),
      EditorState.allowMultipleSelections.of(true),
      indentOnInput(),
      bracketMatching(),
      closeBrackets(),
      autocompletion(),
      rectangularSelection(),
      crosshairCursor(),
      highlightActiveLine(),
      highlightSelectionMatches(),
      remoteCursors(),
      keymap.of([
        ...closeBracketsKeymap,
        ...defaultKeymap,
        ...searchKeymap,
        ...historyKeymap,
        ...foldKeymap,
        ...completionKeymap,
        ...lintKeymap,
        indentWithTab,
      ]),
      EditorView.contentAttributes.of({ "aria-label": "Code editor" }),
    ];
  }

  private local(): Extension {
    return EditorView.updateListener.of((u) => {
      if (!u.docChanged && !u.selectionSet) return;
      const local = u.transactions.some((tr) => tr.docChanged && tr.annotation(Transaction.remote) !== true);
      this.cb.onLocal(selectionJSON(u.state), local);
    });
  }

  setLanguage(ext: Extension): void {
    this.cur.language = ext;
    this.view.dispatch({ effects: this.language.reconfigure(ext) });
  }

  setDark(dark: boolean): void {
    if (dark === this.cur.dark) return;
    this.cur.dark = dark;
    this.view.dispatch({ effects: this.theme.reconfigure(editorTheme(dark)) });
  }

  setVim(ext: Extension | null): void {
    this.cur.vim = ext ?? [];
    this.view.dispatch({ effects: this.vim.reconfigure(this.cur.vim) });
  }

  setWrap(wrap: boolean): void {
    this.cur.wrap = wrap;
    this.view.dispatch({ effects: this.wrap.reconfigure(wrap ? EditorView.lineWrapping : []) });
  }

  setFontSize(px: number): void {
    this.cur.fontSize = px;
    this.view.dispatch({ effects: this.font.reconfigure(fontTheme(px)) });
  }

  // Whether the user may change the text (an observer, a locked or ended
  // pad: not); remote updates apply either way.
  setEditable(on: boolean): void {
    if (on === this.cur.editable) return;
    this.cur.editable = on;
    if (this.ready) this.view.dispatch({ effects: this.editable.reconfigure(editableExt(on)) });
  }

  setDiagnostics(diags: EditorDiagnostic[]): void {
    if (!this.ready) return;
    this.view.dispatch(setDiagnostics(this.view.state, diags));
  }

  setRemote(
    id: string,
    fields: { ranges?: { anchor: number; head: number }[] | null; name?: string; color?: string },
  ): void {
    if (!this.ready) return;
    this.view.dispatch({ effects: setRemoteCursor.of({ id, ...fields }) });
  }

  removeRemote(id: string): void {
    if (!this.ready) return;
    this.view.dispatch({ effects: removeRemoteCursor.of(id) });
  }

  destroy(): void {
    this.view.destroy();
  }
}

function editableExt(on: boolean): Extension {
  return on ? [] : [EditorState.readOnly.of(true), EditorView.editable.of(false)];
}

function fontTheme(px: number): Extension {
  return EditorView.theme({ "&": { fontSize: `${px}px` } });
}
