import { useState, type ReactNode } from 'react';

type Props<T> = {
  items: readonly T[];
  /** Every row has this height in pixels: that is what makes windowing cheap. */
  rowHeight: number;
  /** Visible height; the list scrolls inside it. */
  height: number;
  render: (item: T, index: number) => ReactNode;
  itemKey: (item: T, index: number) => string;
  label: string;
  overscan?: number;
};

/**
 * A windowed list: only the rows in view (plus a few) exist in the DOM, so a
 * job with 10,000 files renders as fast as one with ten.
 */
export function VirtualList<T>({
  items,
  rowHeight,
  height,
  render,
  itemKey,
  label,
  overscan = 8,
}: Props<T>) {
  const [scrollTop, setScrollTop] = useState(0);
  const shownHeight = Math.min(height, items.length * rowHeight);
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const item = items[i] as T;
    rows.push(
      <li
        key={itemKey(item, i)}
        className="vrow"
        style={{ top: i * rowHeight, height: rowHeight }}
        aria-setsize={items.length}
        aria-posinset={i + 1}
      >
        {render(item, i)}
      </li>,
    );
  }
  return (
    <div
      className="vlist"
      style={{ height: shownHeight }}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
      tabIndex={0}
      aria-label={label}
      role="region"
    >
      <ul style={{ height: items.length * rowHeight }} aria-label={label}>
        {rows}
      </ul>
    </div>
  );
}
