import { forwardRef } from 'react';
import { collectInput, type PickedFile } from '../api';

/** The hidden file input behind a "Choose…" button (the button opens it with `.click()`). */
export const FilePicker = forwardRef<HTMLInputElement, { onFiles: (files: PickedFile[]) => void }>(
  function FilePicker({ onFiles }, ref) {
    return (
      <input
        ref={ref}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        aria-hidden="true"
        onChange={(event) => {
          const files = collectInput(event.currentTarget.files ?? []);
          event.currentTarget.value = '';
          onFiles(files);
        }}
      />
    );
  },
);
