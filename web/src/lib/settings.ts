// Per-browser settings, kept in localStorage.
export type ThemeChoice = "system" | "light" | "dark";

export interface Settings {
  theme: ThemeChoice;
  vim: boolean;
  wrap: boolean;
  fontSize: number;
  name: string;
  color: string;
}

const KEY = "runpad.settings";
// The control characters (C0 and DEL) the daemon refuses in a name.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;
export const COLORS = ["#e06c75", "#61afef", "#98c379", "#c678dd", "#e5c07b", "#56b6c2", "#d19a66", "#be5046"];

export function defaultSettings(random: () => number = Math.random): Settings {
  return {
    theme: "system",
    vim: false,
    wrap: false,
    fontSize: 14,
    name: "Guest " + Math.floor(100 + random() * 900),
    color: COLORS[Math.floor(random() * COLORS.length)],
  };
}

export function sanitize(raw: unknown, defaults: Settings): Settings {
  const s = { ...defaults };
  if (!raw || typeof raw !== "object") return s;
  const r = raw as Record<string, unknown>;
  if (r.theme === "system" || r.theme === "light" || r.theme === "dark") s.theme = r.theme;
  if (typeof r.vim === "boolean") s.vim = r.vim;
  if (typeof r.wrap === "boolean") s.wrap = r.wrap;
  if (typeof r.fontSize === "number" && r.fontSize >= 8 && r.fontSize <= 32) s.fontSize = Math.round(r.fontSize);
  if (typeof r.name === "string" && r.name.trim() && !CONTROL.test(r.name)) s.name = r.name.slice(0, 64);
  if (typeof r.color === "string" && /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(r.color)) s.color = r.color;
  return s;
}

export function loadSettings(storage: Pick<Storage, "getItem"> | null = safeStorage()): Settings {
  const d = defaultSettings();
  try {
    const raw = storage?.getItem(KEY);
    return sanitize(raw ? JSON.parse(raw) : null, d);
  } catch {
    return d;
  }
}

export function saveSettings(s: Settings, storage: Pick<Storage, "setItem"> | null = safeStorage()): void {
  try {
    storage?.setItem(KEY, JSON.stringify(s));
  } catch {
    /* private mode, full */
  }
}

function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

// A name the daemon accepts: no control characters, at most 64 bytes.
export function cleanName(name: string): string {
  let n = name.replace(new RegExp(CONTROL, "g"), "").trim();
  const enc = new TextEncoder();
  while (enc.encode(n).length > 64) n = n.slice(0, -1);
  return n;
}
