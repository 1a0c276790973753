import type { Session } from "../app/session";
import { useStore } from "../app/useStore";
import type { ThemeChoice } from "../lib/settings";

export function SettingsMenu({ session }: { session: Session }) {
  const s = useStore(session.settings);
  const dark = useStore(session.dark);
  return (
    <details className="settings">
      <summary aria-label="Editor settings">Settings</summary>
      <div className="settings-body">
        <label>
          Theme{" "}
          <select
            data-testid="theme"
            value={s.theme}
            onChange={(e) => session.updateSettings({ theme: e.target.value as ThemeChoice })}
            aria-label="Theme"
          >
            <option value="system">System ({dark ? "dark" : "light"})</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            data-testid="vim"
            checked={s.vim}
            onChange={(e) => session.updateSettings({ vim: e.target.checked })}
          />{" "}
          Vim keys
        </label>
        <label>
          <input
            type="checkbox"
            data-testid="wrap"
            checked={s.wrap}
            onChange={(e) => session.updateSettings({ wrap: e.target.checked })}
          />{" "}
          Wrap lines
        </label>
        <label>
          Font size{" "}
          <input
            type="number"
            min={8}
            max={32}
            value={s.fontSize}
            data-testid="font-size"
            aria-label="Font size in pixels"
            onChange={(e) => {
              const n = Number(e.target.value);
              if (n >= 8 && n <= 32) session.updateSettings({ fontSize: n });
            }}
          />
        </label>
      </div>
    </details>
  );
}
