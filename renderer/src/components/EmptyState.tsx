import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icons';

/** What an empty list means and what to do first. */
export function EmptyState({
  icon,
  title,
  text,
  children,
}: {
  icon: IconName;
  title: string;
  text: string;
  children?: ReactNode;
}) {
  return (
    <div className="empty">
      <span className="empty-icon" aria-hidden="true">
        <Icon name={icon} size={26} />
      </span>
      <p className="empty-title">{title}</p>
      <p className="muted">{text}</p>
      {children}
    </div>
  );
}
