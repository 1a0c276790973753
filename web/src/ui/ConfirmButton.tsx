import { useState, type ReactNode } from "react";

// A button that asks before it acts: the first press shows `question` with
// a confirming button (data-testid "confirm") and "Cancel".
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  testId,
  disabled = false,
  danger = true,
  ariaLabel,
}: {
  label: ReactNode;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  testId: string;
  disabled?: boolean;
  danger?: boolean;
  ariaLabel?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button
        type="button"
        data-testid={testId}
        disabled={disabled}
        onClick={() => setAsking(true)}
        aria-label={ariaLabel}
      >
        {label}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="confirm-q">{question}</span>
      <button
        type="button"
        className={danger ? "danger" : "primary"}
        data-testid="confirm"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" data-testid="cancel" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
