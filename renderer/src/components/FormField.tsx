import { useId } from 'react';
import type { FieldValue, Row, SecretMode } from '../lib/profile-form';
import type { FormField as Field } from '../lib/schema-form';
import { Icon } from './Icons';

type Props = {
  field: Field;
  value: FieldValue | undefined;
  onChange: (value: FieldValue) => void;
  errors: string[] | undefined;
  /** Present when the saved profile has this secret: write-only controls. */
  secret?: SecretMode;
  onSecretMode?: (mode: SecretMode) => void;
};

/** One parameter of a destination, drawn from its schema: label, control, help, errors. */
export function FormField({ field, value, onChange, errors, secret, onSecretMode }: Props) {
  const id = useId();
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const invalid = (errors?.length ?? 0) > 0;
  const describedBy = [invalid ? errorId : '', field.info.help ? helpId : ''].join(' ').trim();
  const placeholderOf = () => {
    if (field.kind === 'json') return 'JSON, as described below';
    const fallback = field.defaultValue ?? field.info.impliedDefault;
    return fallback === undefined ? undefined : `${fallback} (default)`;
  };
  const common = {
    id,
    'aria-invalid': invalid || undefined,
    'aria-describedby': describedBy || undefined,
    required: field.required,
  };

  const control = () => {
    if (secret === 'keep' || secret === 'clear') {
      return (
        <div className="secret-state">
          <span className={`badge ${secret === 'keep' ? 'badge-ok' : 'badge-warn'}`} id={id}>
            {secret === 'keep' ? 'Set' : 'Will be removed'}
          </span>
          <span className="muted small">
            {secret === 'keep'
              ? 'Stored in the system keychain. Never shown.'
              : 'Saved without this secret.'}
          </span>
          <button
            type="button"
            className="button button-small"
            onClick={() => onSecretMode?.('replace')}
            aria-label={`Replace ${field.label}`}
          >
            Replace
          </button>
          {!field.required && secret === 'keep' && (
            <button
              type="button"
              className="button button-small button-quiet"
              onClick={() => onSecretMode?.('clear')}
              aria-label={`Remove ${field.label}`}
            >
              Remove
            </button>
          )}
          {secret === 'clear' && (
            <button
              type="button"
              className="button button-small button-quiet"
              onClick={() => onSecretMode?.('keep')}
            >
              Undo
            </button>
          )}
        </div>
      );
    }
    if (field.kind === 'dictionary') {
      return (
        <KeyValueRows
          label={field.label}
          rows={Array.isArray(value) ? value : []}
          onChange={onChange}
          masked={field.info.secret === 'values'}
          describedBy={describedBy}
        />
      );
    }
    if (field.kind === 'boolean' && !field.tristate) {
      return (
        <button
          {...common}
          type="button"
          role="switch"
          aria-checked={value === true}
          className="switch"
          onClick={() => onChange(value !== true)}
        >
          <span className="switch-knob" aria-hidden="true" />
          <span className="switch-text">{value === true ? 'On' : 'Off'}</span>
        </button>
      );
    }
    if (field.kind === 'boolean' || field.kind === 'enum') {
      const options = field.kind === 'enum' ? field.options : ['true', 'false'];
      const fallback = field.info.impliedDefault ?? field.defaultValue;
      return (
        <select
          {...common}
          value={typeof value === 'string' ? value : ''}
          onChange={(event) => onChange(event.target.value)}
        >
          {!field.required && (
            <option value="">
              {fallback === undefined ? 'Automatic' : `Default (${String(fallback)})`}
            </option>
          )}
          {options.map((option) => (
            <option key={option} value={option}>
              {field.kind === 'boolean' ? (option === 'true' ? 'On' : 'Off') : option}
            </option>
          ))}
        </select>
      );
    }
    const isSecret = field.info.secret !== undefined;
    const text = typeof value === 'string' ? value : '';
    if (field.info.multiline) {
      return (
        <textarea
          {...common}
          className={isSecret ? 'masked mono' : 'mono'}
          rows={4}
          value={text}
          spellCheck={false}
          autoComplete="off"
          placeholder={isSecret ? 'Paste the key (-----BEGIN …)' : placeholderOf()}
          onChange={(event) => onChange(event.target.value)}
        />
      );
    }
    return (
      <input
        {...common}
        type={isSecret ? 'password' : 'text'}
        inputMode={
          field.kind === 'number'
            ? 'numeric'
            : field.kind === 'text' && field.format === 'url'
              ? 'url'
              : undefined
        }
        value={text}
        spellCheck={false}
        autoComplete={isSecret ? 'new-password' : 'off'}
        placeholder={placeholderOf()}
        onChange={(event) => onChange(event.target.value)}
      />
    );
  };

  const labelFor = field.kind === 'dictionary' ? undefined : id;
  return (
    <div className={`field${invalid ? ' field-invalid' : ''}`} data-field={field.name}>
      <div className="field-label-row">
        {labelFor ? (
          <label htmlFor={labelFor} className={field.required ? 'is-required' : undefined}>
            {field.label}
          </label>
        ) : (
          <span className="label" id={`${id}-label`}>
            {field.label}
          </span>
        )}
        {field.info.extension && (
          <span className="tag" title="An Outbox addition, not part of CloudConvert’s API">
            Outbox
          </span>
        )}
        {secret === 'replace' && onSecretMode && (
          <button type="button" className="link-button small" onClick={() => onSecretMode('keep')}>
            Keep current
          </button>
        )}
      </div>
      {control()}
      {invalid && (
        <p className="field-error" id={errorId} role="alert">
          <Icon name="alert" size={14} /> {errors?.join('; ')}
        </p>
      )}
      {field.info.help && (
        <p className="field-help" id={helpId}>
          {field.info.help}
        </p>
      )}
    </div>
  );
}

function KeyValueRows({
  label,
  rows,
  onChange,
  masked,
  describedBy,
}: {
  label: string;
  rows: Row[];
  onChange: (rows: Row[]) => void;
  masked: boolean;
  describedBy: string;
}) {
  const set = (index: number, patch: Partial<Row>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  return (
    <div className="kv" role="group" aria-label={label} aria-describedby={describedBy || undefined}>
      {rows.map((row, index) => (
        <div className="kv-row" key={index}>
          <input
            value={row.key}
            placeholder="Name"
            aria-label={`${label} name ${index + 1}`}
            spellCheck={false}
            onChange={(event) => set(index, { key: event.target.value })}
          />
          <input
            value={row.value}
            type={masked ? 'password' : 'text'}
            placeholder="Value"
            aria-label={`${label} value ${index + 1}`}
            spellCheck={false}
            autoComplete={masked ? 'new-password' : 'off'}
            onChange={(event) => set(index, { value: event.target.value })}
          />
          <button
            type="button"
            className="icon-button"
            aria-label={`Remove ${label} row ${index + 1}`}
            onClick={() => onChange(rows.filter((_, i) => i !== index))}
          >
            <Icon name="close" size={16} />
          </button>
        </div>
      ))}
      <button
        type="button"
        className="button button-small button-quiet"
        onClick={() => onChange([...rows, { key: '', value: '' }])}
      >
        <Icon name="plus" size={14} /> Add {rows.length ? 'another' : 'an entry'}
      </button>
    </div>
  );
}
