// The short messages shown over the page: at most four, the same text
// never twice (a repeat moves to the end), each gone after 4 s (8 s for an
// error) or when dismissed.
import { createStore } from "../lib/store";

export type ToastLevel = "info" | "error";

export interface Toast {
  id: number;
  text: string;
  level: ToastLevel;
}

// How the other parts of the session say something to the user.
export type Notify = (text: string, level?: ToastLevel) => void;

export class Toasts {
  readonly items = createStore<Toast[]>([]);
  private lastId = 0;

  show(text: string, level: ToastLevel = "info"): void {
    const id = ++this.lastId;
    this.items.set((t) => [...t.filter((x) => x.text !== text), { id, text, level }].slice(-4));
    setTimeout(() => this.dismiss(id), level === "error" ? 8000 : 4000);
  }

  dismiss(id: number): void {
    this.items.set((t) => t.filter((x) => x.id !== id));
  }
}
