// Other participants' cursors and selections in the editor.
//
// A state field holds, per participant, ranges in the current document
// (the pad client maps a remote selection from its version to the local
// document) and maps them through every later transaction; the
// decorations are drawn from it: a tinted mark for a selection, a caret
// widget (class cm-remote-caret, the name as title and as a label shown on
// hover) at each head.
import { EditorState, Extension, Range, StateEffect, StateField } from "@codemirror/state";
import { Decoration, DecorationSet, EditorView, WidgetType } from "@codemirror/view";

export interface RemoteCursor {
  id: string;
  name: string;
  color: string;
  ranges: { anchor: number; head: number }[];
}

export const setRemoteCursor = StateEffect.define<{
  id: string;
  ranges?: { anchor: number; head: number }[] | null;
  name?: string;
  color?: string;
}>();
export const removeRemoteCursor = StateEffect.define<string>();

class CaretWidget extends WidgetType {
  constructor(
    readonly name: string,
    readonly color: string,
  ) {
    super();
  }
  eq(o: CaretWidget): boolean {
    return o.name === this.name && o.color === this.color;
  }
  toDOM(): HTMLElement {
    const caret = document.createElement("span");
    caret.className = "cm-remote-caret";
    caret.style.borderLeftColor = this.color;
    caret.title = this.name;
    caret.setAttribute("aria-label", `${this.name}'s cursor`);
    const label = document.createElement("span");
    label.className = "cm-remote-caret-label";
    label.style.backgroundColor = this.color;
    label.textContent = this.name;
    caret.appendChild(label);
    return caret;
  }
  ignoreEvent(): boolean {
    return true;
  }
}

function clampRange(r: { anchor: number; head: number }, len: number) {
  return { anchor: Math.max(0, Math.min(r.anchor, len)), head: Math.max(0, Math.min(r.head, len)) };
}

export const remoteCursorField = StateField.define<Map<string, RemoteCursor>>({
  create: () => new Map(),
  update(map, tr) {
    let next = map;
    if (tr.docChanged) {
      next = new Map();
      for (const [id, c] of map) {
        next.set(id, {
          ...c,
          ranges: c.ranges.map((r) => ({ anchor: tr.changes.mapPos(r.anchor, 1), head: tr.changes.mapPos(r.head, 1) })),
        });
      }
    }
    for (const e of tr.effects) {
      if (e.is(setRemoteCursor)) {
        if (next === map) next = new Map(map);
        const old = next.get(e.value.id);
        const len = tr.state.doc.length;
        next.set(e.value.id, {
          id: e.value.id,
          name: e.value.name ?? old?.name ?? "Guest",
          color: e.value.color ?? old?.color ?? "#888888",
          ranges:
            e.value.ranges === undefined ? (old?.ranges ?? []) : (e.value.ranges ?? []).map((r) => clampRange(r, len)),
        });
      } else if (e.is(removeRemoteCursor)) {
        if (next === map) next = new Map(map);
        next.delete(e.value);
      }
    }
    return next;
  },
  provide: (f) => EditorView.decorations.from(f, (map) => buildDecorations(map)),
});

function buildDecorations(map: Map<string, RemoteCursor>): DecorationSet {
  const decos: Range<Decoration>[] = [];
  for (const c of map.values()) {
    for (const r of c.ranges) {
      const from = Math.min(r.anchor, r.head),
        to = Math.max(r.anchor, r.head);
      if (from < to) {
        decos.push(
          Decoration.mark({
            class: "cm-remote-selection",
            attributes: { style: `background-color: ${c.color}40`, title: c.name },
          }).range(from, to),
        );
      }
      decos.push(Decoration.widget({ widget: new CaretWidget(c.name, c.color), side: 1 }).range(r.head));
    }
  }
  return Decoration.set(decos, true);
}

export function remoteCursors(): Extension {
  return [remoteCursorField, remoteCursorTheme];
}

export function remoteCursorsOf(state: EditorState): RemoteCursor[] {
  return [...(state.field(remoteCursorField, false)?.values() ?? [])];
}

const remoteCursorTheme = EditorView.baseTheme({
  ".cm-remote-caret": {
    position: "relative",
    borderLeft: "2px solid",
    marginLeft: "-1px",
    marginRight: "-1px",
    pointerEvents: "auto",
  },
  ".cm-remote-caret-label": {
    position: "absolute",
    top: "-1.3em",
    left: "-2px",
    fontSize: "11px",
    lineHeight: "1.2",
    padding: "0 4px",
    borderRadius: "3px 3px 3px 0",
    color: "#fff",
    whiteSpace: "nowrap",
    opacity: "0",
    transition: "opacity 0.15s",
    pointerEvents: "none",
    zIndex: "10",
  },
  ".cm-remote-caret:hover .cm-remote-caret-label": { opacity: "1" },
});
