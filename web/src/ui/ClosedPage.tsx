import type { Closed } from "../app/view";

const HEADINGS: Record<number, string> = {
  4400: "This pad link is not valid",
  4401: "This server makes pads only with its creation secret",
  4403: "This link is no longer valid",
  4404: "There is no pad here",
  4408: "You were removed from this pad",
  4409: "That pad exists already",
};

const ADVICE: Record<number, string> = {
  4403: "Ask the interviewer for a new link.",
  4404: "Check the link, or ask the interviewer for a new one.",
  4408: "If that was a mistake, ask the interviewer to let you back in with a new link.",
};

// The whole page when the pad is gone for it: the client does not
// reconnect after these closes.
export function ClosedPage({ closed }: { closed: Closed }) {
  const heading = HEADINGS[closed.code] ?? "The pad closed the connection";
  return (
    <main className="closed-page" data-testid="closed" data-code={closed.code} data-error={closed.error ?? ""}>
      <div className="closed-box" role="alert">
        <h1>{heading}</h1>
        <p>{closed.text}</p>
        {ADVICE[closed.code] && <p className="hint">{ADVICE[closed.code]}</p>}
        <p>
          <a href="./">Start a new interview</a>
        </p>
      </div>
    </main>
  );
}
