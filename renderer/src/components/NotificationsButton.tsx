import { useNotificationPermission } from '../lib/web-notifications';
import { useStore } from '../store/app-store';
import { Icon } from './Icons';

/** "Notify me": asks the browser for notifications once the person wants them. */
export function NotificationsButton() {
  const [permission, ask] = useNotificationPermission();
  const toast = useStore((s) => s.toast);
  if (permission !== 'default') return null;
  return (
    <button
      type="button"
      className="button"
      title="Get a notification when a transfer finishes or fails"
      onClick={() =>
        void ask().then(() =>
          toast(
            Notification.permission === 'granted'
              ? 'Outbox will notify you when transfers finish or fail.'
              : 'Notifications are blocked: your browser’s site settings can allow them.',
          ),
        )
      }
    >
      <Icon name="bell" size={16} /> Notify me
    </button>
  );
}
