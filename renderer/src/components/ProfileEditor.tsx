import { useMemo, useState } from 'react';
import type { Destination, ProfileView } from '../../../main/core/api/outbox-api';
import { destinationOf } from '../../../main/core/tasks/destinations';
import type { ExportOperation } from '../../../main/core/tasks/operations';
import { getApi } from '../api';
import { profileOperations } from '../lib/destinations';
import {
  formOf,
  holdsAllSecrets,
  newForm,
  toProfileInput,
  typedParams,
  validateForm,
  type FieldValue,
  type FormState,
  type SecretMode,
} from '../lib/profile-form';
import { formFieldsOf } from '../lib/schema-form';
import { useStore } from '../store/app-store';
import { errorInfoOf, type ShownError } from '../store/errors';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';
import { FormField } from './FormField';
import { Icon } from './Icons';
import { TaskJsonSection } from './TaskJsonSection';

type TestState =
  | { state: 'idle' }
  | { state: 'testing' }
  | { state: 'ok'; message: string }
  | { state: 'error'; error: ShownError };

/** The profile editor: a form generated from the destination's schema, with test, JSON and paste. */
export function ProfileEditor() {
  const editor = useStore((s) => s.editor);
  const profiles = useStore((s) => s.profiles);
  if (!editor) return null;
  if (editor.mode === 'new')
    return <EditorDialog key="new" profile={undefined} seed={editor.seed} />;
  const profile = profiles.find((p) => p.name === editor.name);
  return <EditorDialog key={editor.name} profile={profile} />;
}

function EditorDialog({ profile, seed }: { profile: ProfileView | undefined; seed?: FormState }) {
  const openEditor = useStore((s) => s.openEditor);
  const refreshProfiles = useStore((s) => s.refreshProfiles);
  const toast = useStore((s) => s.toast);
  const profiles = useStore((s) => s.profiles);

  const [form, setForm] = useState<FormState>(() =>
    profile ? formOf(profile) : (seed ?? newForm('export/s3')),
  );
  const [original] = useState(form);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverError, setServerError] = useState<ShownError | undefined>();
  const [saving, setSaving] = useState(false);
  const [test, setTest] = useState<TestState>({ state: 'idle' });
  const [confirmDelete, setConfirmDelete] = useState(false);

  const fields = formFieldsOf(form.operation);
  const errors = useMemo(() => validateForm(form), [form]);
  const dirty = JSON.stringify(form) !== JSON.stringify(original);
  const close = () => openEditor(null);

  const serverFieldErrors = useMemo(() => {
    const out: Record<string, string[]> = {};
    for (const [path, messages] of Object.entries(serverError?.fields ?? {})) {
      out[path.replace(/^(params|tasks\.[^.]+)\./, '')] = messages;
    }
    return out;
  }, [serverError]);
  const shownErrors = (name: string) =>
    submitted || touched.has(name)
      ? (errors[name] ?? serverFieldErrors[name])
      : serverFieldErrors[name];
  const formLevelErrors = submitted ? (errors[''] ?? []) : [];

  const change = (name: string, value: FieldValue) => {
    setForm((f) => ({ ...f, values: { ...f.values, [name]: value } }));
    setTouched((t) => new Set(t).add(name));
    setTest({ state: 'idle' });
    setServerError(undefined);
  };
  const setSecretMode = (name: string, mode: SecretMode) => {
    setForm((f) => {
      const field = fields.find((x) => x.name === name);
      return {
        ...f,
        secrets: { ...f.secrets, [name]: mode },
        values: { ...f.values, [name]: field?.kind === 'dictionary' ? [] : '' },
      };
    });
    setTest({ state: 'idle' });
  };
  const setOperation = (operation: ExportOperation) => {
    setForm((f) => newForm(operation, f.name));
    setTouched(new Set());
    setSubmitted(false);
    setTest({ state: 'idle' });
  };

  const save = async (): Promise<boolean> => {
    setSubmitted(true);
    if (Object.keys(errors).length > 0) return false;
    setSaving(true);
    try {
      await getApi().saveProfile(toProfileInput(form, profile?.name));
      await refreshProfiles();
      return true;
    } catch (error) {
      setServerError(errorInfoOf(error));
      return false;
    } finally {
      setSaving(false);
    }
  };

  const testConnection = async () => {
    setSubmitted(true);
    if (Object.keys(errors).length > 0) {
      setTest({ state: 'idle' });
      return;
    }
    let destination: Destination;
    if (profile && !dirty) destination = { profile: profile.name };
    else if (holdsAllSecrets(form)) {
      destination = { task: { operation: form.operation, ...typedParams(form) } };
    } else {
      // Kept secrets stay in the keychain: test the saved profile with these changes.
      if (!(await save())) return;
      destination = { profile: form.name.trim() };
    }
    setTest({ state: 'testing' });
    try {
      const result = await getApi().testConnection(destination);
      setTest({ state: 'ok', message: result.message });
    } catch (error) {
      setTest({ state: 'error', error: errorInfoOf(error) });
    }
  };

  const remove = async () => {
    if (!profile) return;
    try {
      await getApi().deleteProfile(profile.name);
      await refreshProfiles();
      toast(`Deleted ${profile.name}.`);
      close();
    } catch (error) {
      setServerError(errorInfoOf(error));
    }
  };

  const duplicate = () => {
    const taken = new Set(profiles.map((p) => p.name));
    let name = `${form.name} copy`;
    for (let i = 2; taken.has(name); i++) name = `${form.name} copy ${i}`;
    // Secrets never come back from the keychain: the copy asks for them again.
    openEditor({ mode: 'new', seed: { ...form, name, secrets: {} } });
    toast('Copy made: enter its secrets, then save.');
  };

  const primary = fields.filter((f) => f.primary);
  const more = fields.filter((f) => !f.primary);
  const renderField = (field: (typeof fields)[number]) => (
    <FormField
      key={`${form.operation}:${field.name}`}
      field={field}
      value={form.values[field.name]}
      onChange={(value) => change(field.name, value)}
      errors={shownErrors(field.name)}
      {...(form.secrets[field.name]
        ? {
            secret: form.secrets[field.name],
            onSecretMode: (mode: SecretMode) => setSecretMode(field.name, mode),
          }
        : {})}
    />
  );
  const moreOpen = more.some((f) => {
    const v = form.values[f.name];
    return Array.isArray(v) ? v.length > 0 : typeof v === 'string' && v !== '';
  });
  const nameErrors = shownErrors('name');

  return (
    <Dialog
      variant="sheet"
      title={profile ? `Edit ${profile.name}` : 'New destination'}
      description={
        profile
          ? destinationOf(profile.operation).label
          : 'Set it up once; afterwards, drop files on it.'
      }
      onClose={close}
      footer={
        <>
          {profile &&
            (confirmDelete ? (
              <div className="confirm" role="group" aria-label="Confirm delete">
                <span>Delete {profile.name}?</span>
                <button
                  type="button"
                  className="button button-danger"
                  onClick={() => void remove()}
                >
                  Delete
                </button>
                <button
                  type="button"
                  className="button button-quiet"
                  onClick={() => setConfirmDelete(false)}
                >
                  Keep
                </button>
              </div>
            ) : (
              <>
                <button
                  type="button"
                  className="button button-quiet"
                  onClick={() => setConfirmDelete(true)}
                >
                  <Icon name="trash" size={15} /> Delete
                </button>
                <button type="button" className="button button-quiet" onClick={duplicate}>
                  <Icon name="duplicate" size={15} /> Duplicate
                </button>
              </>
            ))}
          <span className="spacer" />
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button
            type="submit"
            form="profile-form"
            className="button button-primary"
            disabled={saving}
          >
            {saving ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      <form
        id="profile-form"
        className="profile-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void save().then((ok) => {
            if (ok) {
              toast(`Saved ${form.name.trim()}.`);
              close();
            }
          });
        }}
      >
        <div className="form-grid-2">
          <div className={`field${nameErrors ? ' field-invalid' : ''}`}>
            <label htmlFor="profile-name" className="is-required">
              Name
            </label>
            <input
              id="profile-name"
              value={form.name}
              required
              autoFocus
              placeholder="e.g. Client deliveries"
              aria-invalid={nameErrors ? true : undefined}
              aria-describedby={nameErrors ? 'profile-name-error' : undefined}
              onChange={(event) => {
                const name = event.target.value;
                setForm((f) => ({ ...f, name }));
                setTouched((t) => new Set(t).add('name'));
              }}
            />
            {nameErrors && (
              <p className="field-error" id="profile-name-error" role="alert">
                <Icon name="alert" size={14} /> {nameErrors.join('; ')}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="profile-operation">Destination type</label>
            <select
              id="profile-operation"
              value={form.operation}
              disabled={Boolean(profile)}
              onChange={(event) => setOperation(event.target.value as ExportOperation)}
            >
              {profileOperations.map((operation) => (
                <option key={operation} value={operation}>
                  {destinationOf(operation).label}
                </option>
              ))}
            </select>
          </div>
        </div>

        <fieldset className="form-section">
          <legend>Connection</legend>
          {primary.map(renderField)}
        </fieldset>

        {more.length > 0 && (
          <details className="form-section more" open={moreOpen || undefined}>
            <summary>More options ({more.length})</summary>
            {more.map(renderField)}
          </details>
        )}

        {formLevelErrors.length > 0 && (
          <ErrorBox error={{ code: 'INVALID_DATA', message: formLevelErrors.join('; ') }} />
        )}
        {serverError && <ErrorBox error={serverError} title="Could not save" />}

        <section className="test-row" aria-label="Connection test">
          <button
            type="button"
            className="button"
            onClick={() => void testConnection()}
            disabled={test.state === 'testing'}
          >
            <Icon name="plug" size={16} />
            {test.state === 'testing'
              ? 'Testing…'
              : profile && dirty && !holdsAllSecrets(form)
                ? 'Save and test connection'
                : 'Test connection'}
          </button>
          <div className="test-result" role="status" aria-live="polite">
            {test.state === 'ok' && (
              <span className="ok">
                <Icon name="check" size={16} /> Connection works. {test.message}
              </span>
            )}
          </div>
        </section>
        {test.state === 'error' && <ErrorBox error={test.error} title="Connection failed" />}

        <TaskJsonSection
          form={form}
          onFill={(next) => {
            setForm(next);
            setTouched(new Set(Object.keys(next.values)));
            toast('Form filled from the pasted task.');
          }}
        />
      </form>
    </Dialog>
  );
}
