/**
 * Events of the workflows capability (added to HubEvent). Published on `channels.all` and, for a run an
 * agent started, on that agent's channel.
 */
export type WorkflowEvent =
  /** A step changed state (running, each retry, completed, failed, skipped). */
  | {
      type: 'workflow.step';
      at: string;
      run_id: string;
      step_id: string;
      status: string;
      attempts: number;
      error: string | null;
    }
  /** A run started, resumed after a restart, or ended (completed, failed, cancelled). */
  | {
      type: 'workflow.run';
      at: string;
      run_id: string;
      name: string | null;
      status: string;
      resumed: boolean;
      error: string | null;
    };
