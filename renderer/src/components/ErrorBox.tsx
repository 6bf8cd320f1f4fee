import { errorHints } from '../lib/jobs';
import type { ShownError } from '../store/errors';
import { Icon } from './Icons';

/** An error in words, what to try, and the technical detail one click away. */
export function ErrorBox({ error, title }: { error: ShownError; title?: string }) {
  const hint = errorHints[error.code];
  const fields = Object.entries(error.fields ?? {});
  return (
    <div className="error-box" role="alert">
      <Icon name="alert" size={18} />
      <div>
        {title && <p className="error-title">{title}</p>}
        <p className="error-message">{error.message}</p>
        {hint && <p className="error-hint">{hint}</p>}
        {(error.detail || fields.length > 0 || error.code) && (
          <details className="error-detail">
            <summary>Details</summary>
            <dl>
              <dt>Code</dt>
              <dd>
                <code>{error.code}</code>
              </dd>
              {fields.map(([path, messages]) => (
                <div key={path}>
                  <dt>{path}</dt>
                  <dd>{messages.join('; ')}</dd>
                </div>
              ))}
              {error.detail && (
                <>
                  <dt>Detail</dt>
                  <dd>
                    <pre>{error.detail}</pre>
                  </dd>
                </>
              )}
            </dl>
          </details>
        )}
      </div>
    </div>
  );
}
