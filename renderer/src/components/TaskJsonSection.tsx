import { useState } from 'react';
import { formFromTaskJson, taskJsonOf, type FormState } from '../lib/profile-form';
import { CopyButton } from './CopyButton';
import { Icon } from './Icons';

/**
 * The profile editor's CloudConvert task JSON: the form as a task to copy, and
 * a pasted task that fills the form (secrets it leaves out stay as saved).
 */
export function TaskJsonSection({
  form,
  onFill,
}: {
  form: FormState;
  onFill: (form: FormState) => void;
}) {
  const [paste, setPaste] = useState('');
  const [pasteError, setPasteError] = useState<string | undefined>();

  const applyPaste = () => {
    const result = formFromTaskJson(paste, form.name);
    if ('error' in result) {
      setPasteError(result.error);
      return;
    }
    const next = result.form;
    if (next.operation === form.operation) {
      for (const [name, mode] of Object.entries(form.secrets)) {
        const value = next.values[name];
        const given = Array.isArray(value) ? value.length > 0 : value !== '' && value !== undefined;
        if (!given) next.secrets[name] = mode;
      }
    }
    setPasteError(undefined);
    setPaste('');
    onFill(next);
  };

  const json = taskJsonOf(form);
  return (
    <details className="form-section json">
      <summary>CloudConvert task JSON</summary>
      <p className="muted small">
        The same destination as a CloudConvert export task. Secrets are left out.
      </p>
      <div className="json-box">
        <pre aria-label="Task JSON" tabIndex={0}>
          {json}
        </pre>
        <CopyButton text={json} label="Copy task JSON" />
      </div>
      <label htmlFor="paste-json" className="label">
        Paste a task to fill the form
      </label>
      <textarea
        id="paste-json"
        className="mono"
        rows={4}
        spellCheck={false}
        value={paste}
        placeholder='{ "operation": "export/s3", "bucket": "…", … }'
        onChange={(event) => setPaste(event.target.value)}
      />
      {pasteError && (
        <p className="field-error" role="alert">
          <Icon name="alert" size={14} /> {pasteError}
        </p>
      )}
      <button
        type="button"
        className="button button-small"
        disabled={paste.trim() === ''}
        onClick={applyPaste}
      >
        Fill the form
      </button>
    </details>
  );
}
