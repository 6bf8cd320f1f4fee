import { useRef, useState, type DragEvent } from 'react';
import { collectDrop, type PickedFile } from '../api';

function carriesFiles(event: DragEvent): boolean {
  return [...event.dataTransfer.types].includes('Files');
}

/**
 * Drop-target behaviour for an element: highlights while files hover and
 * hands over the dropped files (folders walked, relative paths kept).
 * The drop is stopped here so the window-wide drop zone does not see it.
 */
export function useFileDrop(onFiles: (files: Promise<PickedFile[]>) => void) {
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  return {
    over,
    handlers: {
      onDragEnter(event: DragEvent) {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        depth.current++;
        setOver(true);
      },
      onDragOver(event: DragEvent) {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        event.stopPropagation();
        event.dataTransfer.dropEffect = 'copy';
      },
      onDragLeave() {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      },
      onDrop(event: DragEvent) {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        event.stopPropagation();
        depth.current = 0;
        setOver(false);
        // Must run inside the handler: the browser empties the DataTransfer afterwards.
        onFiles(collectDrop(event.dataTransfer));
      },
    },
  };
}
