// Light and dark editor themes.  The page's colours come from CSS
// variables (styles.css); these only add what CodeMirror draws.
import { HighlightStyle, syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
import { EditorView } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";
import type { Extension } from "@codemirror/state";

const darkTheme = EditorView.theme(
  {
    "&": { color: "#abb2bf", backgroundColor: "#1e2127" },
    ".cm-content": { caretColor: "#528bff" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "#528bff" },
    "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
      { backgroundColor: "#3e4451" },
    ".cm-activeLine": { backgroundColor: "#2c313a80" },
    ".cm-gutters": { backgroundColor: "#1e2127", color: "#636d83", border: "none" },
    ".cm-activeLineGutter": { backgroundColor: "#2c313a" },
    ".cm-searchMatch": { backgroundColor: "#72a1ff59", outline: "1px solid #457dff" },
    ".cm-matchingBracket, .cm-nonmatchingBracket": { backgroundColor: "#bad0f847" },
    ".cm-panels": { backgroundColor: "#21252b", color: "#abb2bf" },
    ".cm-tooltip": { backgroundColor: "#282c34", border: "1px solid #3e4451" },
  },
  { dark: true },
);

const darkHighlight = HighlightStyle.define([
  { tag: t.keyword, color: "#c678dd" },
  { tag: [t.name, t.deleted, t.character, t.propertyName, t.macroName], color: "#e06c75" },
  { tag: [t.function(t.variableName), t.labelName], color: "#61afef" },
  { tag: [t.color, t.constant(t.name), t.standard(t.name)], color: "#d19a66" },
  { tag: [t.definition(t.name), t.separator], color: "#abb2bf" },
  {
    tag: [t.typeName, t.className, t.number, t.changed, t.annotation, t.modifier, t.self, t.namespace],
    color: "#e5c07b",
  },
  { tag: [t.operator, t.operatorKeyword, t.url, t.escape, t.regexp, t.link, t.special(t.string)], color: "#56b6c2" },
  { tag: [t.meta, t.comment], color: "#7d8799", fontStyle: "italic" },
  { tag: t.strong, fontWeight: "bold" },
  { tag: t.emphasis, fontStyle: "italic" },
  { tag: [t.atom, t.bool, t.special(t.variableName)], color: "#d19a66" },
  { tag: [t.processingInstruction, t.string, t.inserted], color: "#98c379" },
  { tag: t.invalid, color: "#ffffff" },
]);

const lightTheme = EditorView.theme(
  {
    "&": { backgroundColor: "#ffffff" },
    ".cm-gutters": { backgroundColor: "#f6f7f9", border: "none" },
  },
  { dark: false },
);

export function editorTheme(dark: boolean): Extension {
  return dark
    ? [darkTheme, syntaxHighlighting(darkHighlight)]
    : [lightTheme, syntaxHighlighting(defaultHighlightStyle, { fallback: true })];
}
