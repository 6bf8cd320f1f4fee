/**
 * The second step of a destructive button, in place of it: a danger button
 * that does it and "Keep" that backs out (no modal for a one-click undo-less action).
 */
export function ConfirmInline(props: {
  question?: string;
  confirmLabel: string;
  onConfirm: () => void;
  onKeep: () => void;
}) {
  return (
    <span className="confirm-inline">
      {props.question && <span className="small">{props.question}</span>}
      <button type="button" className="button button-small button-danger" onClick={props.onConfirm}>
        {props.confirmLabel}
      </button>
      <button type="button" className="button button-small button-quiet" onClick={props.onKeep}>
        Keep
      </button>
    </span>
  );
}
