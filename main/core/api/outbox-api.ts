import type { DeliveryEntry, DeliveryPage, DeliveryQuery } from '../delivery-log/delivery-entry';
import type { ControlAllResult } from '../engine/job-control';
import type { TaskProgress } from '../engine/progress';
import type { JobRecord } from '../transfer/records';
import type { ErrorInfo } from '../errors';
import type { ProbeResult } from '../exporters/exporter';
import type { LinkChange } from '../links/link-store';
import type { SecretState } from '../profiles/profile-params';
import type { ProfileView as StoredProfileView } from '../profiles/profile-service';
import type { ExportOperation } from '../tasks/operations';
import type { WatchView } from '../watch/watch-service';
import type { LinkView } from './links-api';
import type { SettingsInput, SettingsView } from './settings-views';
import type { WatchInput } from './watch-api';

/**
 * What the UI may ask of Outbox: one typed interface, implemented by the
 * Electron host (over IPC, see preload/) and by the browser host (over
 * HTTP + server-sent events, see main/browser/). The renderer talks to nothing else.
 * Secrets go in (as strings) but never come back out: reads show `{ set }`.
 */

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type { SecretState };

/** A profile: non-secret parameters as values, secret ones as `{ set }`. */
export type ProfileView = StoredProfileView<JsonValue | SecretState>;

/**
 * Saving a profile: secret fields may be a new value (string / dictionary),
 * `null` to clear, or omitted / `{ set: true }` to keep what the keychain has.
 */
export type ProfileInput = {
  name: string;
  /** When renaming or editing: the profile's current name. */
  originalName?: string;
  operation: ExportOperation;
  params: Record<string, JsonValue | SecretState | undefined>;
};

export type { DeliveryEntry, DeliveryPage, DeliveryQuery };

/** A file to export: a local path (Electron, CLI) or a file the browser already streamed to the host. */
export type FileRef = { path: string } | { uploadId: string };

export type Destination = { profile: string } | { task: Record<string, JsonValue> };

export type { LinkView };

/**
 * "Create share link" for a finished cloud export: which file (index in the
 * task's `result.files`; none: every file) and for how many seconds (default
 * 86400, at most 604800).
 */
export type ShareLinkOptions = { file?: number; expires_in?: number };

/** Changing a link's options (see LinkChange). */
export type LinkOptions = LinkChange;

export type { SettingsView };

export type HostInfo = {
  host: 'electron' | 'browser';
  version: string;
  linkBaseUrl: string;
  dataDir: string;
};

export type { SettingsInput, WatchInput, WatchView };

export type ApiEvent =
  | { type: 'job'; job: JobRecord }
  | { type: 'progress'; progress: TaskProgress }
  | { type: 'links' };

export type ApiError = ErrorInfo & { fields?: Record<string, string[]> };

export interface OutboxApi {
  info(): Promise<HostInfo>;

  listProfiles(): Promise<ProfileView[]>;
  saveProfile(input: ProfileInput): Promise<ProfileView>;
  deleteProfile(name: string): Promise<void>;
  /** "Test connection" for a saved profile or an unsaved task. */
  testConnection(destination: Destination): Promise<ProbeResult>;

  /**
   * Starts exporting files to a destination, or to several at once (one job:
   * one import task, one export task per destination, see export-job.ts);
   * the job's progress arrives as events.
   */
  startExport(destinations: Destination | Destination[], files: FileRef[]): Promise<JobRecord>;
  listJobs(): Promise<JobRecord[]>;
  /** Cancels a running, waiting or paused job. */
  cancelJob(id: string): Promise<void>;
  retryJob(id: string): Promise<JobRecord>;
  /** Stops a running or waiting job, keeping its partial uploads; resolves once it is `paused`. */
  pauseJob(id: string): Promise<JobRecord>;
  /** Continues a paused job (it waits for its turn in the queue). */
  resumeJob(id: string): Promise<JobRecord>;
  /** Moves a waiting job to the front of the queue. */
  moveJobToFront(id: string): Promise<JobRecord>;
  /** Pauses every running and waiting job (the tray's and the transfers panel's "Pause all"). */
  pauseAll(): Promise<ControlAllResult>;
  /** Resumes every paused job, oldest first; `failed`: those that could not be, and why. */
  resumeAll(): Promise<ControlAllResult>;
  /**
   * Signs download links for files of a finished S3, Azure Blob, GCS or
   * OpenStack task (see ShareLinkOptions); they land in the task's results
   * (`url`, `expires_at`). Returns the job, updated.
   */
  createShareLink(jobId: string, task: string, options?: ShareLinkOptions): Promise<JobRecord>;
  removeJob(id: string): Promise<void>;
  clearHistory(): Promise<void>;
  /** A page of the delivery log (every delivered file, 90 days), newest first; `next` continues. */
  searchDeliveries(query: DeliveryQuery): Promise<DeliveryPage>;

  listLinks(): Promise<LinkView[]>;
  revokeLink(id: string): Promise<void>;
  updateLink(id: string, options: LinkOptions): Promise<LinkView>;

  getSettings(): Promise<SettingsView>;
  /** Saves and applies at once (the LAN listeners open or close). */
  saveSettings(input: SettingsInput): Promise<SettingsView>;
  /**
   * Sets the global bandwidth limit, or a destination's (`profile`): a rate or
   * a timetable in rclone's --bwlimit syntax, "off" removes it. Running
   * transfers follow within a second.
   */
  setBandwidthLimit(limit: string, profile?: string): Promise<SettingsView>;
  /** Saves `max_running_jobs` (1–16) and applies it to the queue at once. */
  setMaxRunningJobs(value: number): Promise<SettingsView>;

  /** Watch folders with their state (watching, pending, last delivery, last error). */
  listWatches(): Promise<WatchView[]>;
  /** Checks every field (errors name it) and saves; the host starts it within seconds. */
  addWatch(input: WatchInput): Promise<WatchView>;
  removeWatch(id: string): Promise<void>;

  /** Live updates; returns the function that unsubscribes. */
  subscribe(listener: (event: ApiEvent) => void): () => void;
}
