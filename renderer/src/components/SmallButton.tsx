import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icons';

/** A small button with an icon before its words (job and transfer actions). */
export function SmallButton(props: {
  icon: IconName;
  onClick: () => void;
  disabled?: boolean;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className="button button-small"
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <Icon name={props.icon} size={14} /> {props.children}
    </button>
  );
}
