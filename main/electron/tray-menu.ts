import type { MenuItemConstructorOptions } from 'electron';

/** What the tray menu can do; main.ts wires each to the window and the app. */
export type TrayActions = { open: () => void; quit: () => void };

/** The tray (notification area / menu bar) menu. Pure, so tested without Electron. */
export function trayMenuTemplate(actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: 'Open Outbox', click: actions.open },
    { type: 'separator' },
    { label: 'Quit Outbox', click: actions.quit },
  ];
}
