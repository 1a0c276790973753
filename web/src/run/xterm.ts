// xterm.js and its fit addon, in their own chunk (loaded after the editor).
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";

export const darkTerm = {
  background: "#16181d",
  foreground: "#d7dae0",
  cursor: "#528bff",
  selectionBackground: "#3e4451",
};
export const lightTerm = {
  background: "#fbfbfc",
  foreground: "#24292f",
  cursor: "#0969da",
  selectionBackground: "#c8d7f0",
  red: "#cf222e",
  cyan: "#0e7490",
};

export function createTerminal(parent: HTMLElement, dark: boolean) {
  const term = new Terminal({
    convertEol: true,
    cursorBlink: true,
    fontSize: 13,
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace",
    scrollback: 5000,
    theme: dark ? darkTerm : lightTerm,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(parent);
  try {
    fit.fit();
  } catch {
    /* not laid out yet */
  }
  return { term, fit };
}
