import type { ApiEvent, LinkView } from '../../../main/core/api/outbox-api';

/** Record types as they reach the UI, read off the API's own types. */
export type JobRecord = Extract<ApiEvent, { type: 'job' }>['job'];
export type TaskRecord = JobRecord['tasks'][number];
export type ResultFile = NonNullable<TaskRecord['result']>['files'][number];
export type TaskProgress = Extract<ApiEvent, { type: 'progress' }>['progress'];
export type TaskStatus = JobRecord['status'];
export type { LinkView };
