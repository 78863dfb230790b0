// Plays MSK's side of a rolling restart on the testbed's real Kafka cluster: UpdateClusterConfiguration
// and UpdateConnectivity on the AWS twin restart brokers one at a time (MSK developer guide, "Configure
// custom domain names for your Amazon MSK cluster", "Step 1: ... turn on multi-VPC connectivity"); once
// this driver is registered for the cluster, the twin waits for it to restart each broker with the
// step's resolved custom.advertised.listeners and multi-VPC connectivity listeners and report it done.
import type { AdvertisedListeners, MskRestartStep, TwinControl, VpcListeners } from '../aws/twin.js';

/** What the driver needs from the Kafka cluster (KafkaTestCluster has it). */
export interface RestartableCluster {
  /**
   * Restarts broker `id` advertising `advertised` for those listeners ({} means MSK's default
   * addresses), with a listener per multi-VPC connectivity scheme in `vpc` ({} means none).
   */
  restartBroker(id: number, advertised?: AdvertisedListeners, vpc?: VpcListeners): Promise<void>;
}

/** What Testbed.addBroker needs from the Kafka cluster (KafkaTestCluster has it). */
export interface GrowableCluster {
  addBroker(
    advertised?: AdvertisedListeners,
    vpc?: VpcListeners,
  ): Promise<{ id: number; host: string; ip: string }>;
}

export interface MskDriverOptions {
  control: Pick<
    TwinControl,
    'registerMskDriver' | 'unregisterMskDriver' | 'mskRestarts' | 'reportMskRestart'
  >;
  clusterArn: string;
  cluster: RestartableCluster;
  /** Poll interval; default 200 ms. */
  intervalMs?: number;
  log?: (message: string) => void;
}

export interface MskDriverRestart {
  operationArn: string;
  brokerId: number;
  advertised: AdvertisedListeners;
  vpcListeners: VpcListeners;
  /** Wall time of restartBroker. */
  ms: number;
  error?: string;
}

export interface MskDriver {
  clusterArn: string;
  /** Every restart done so far, oldest first. */
  restarts: MskDriverRestart[];
  /** Stops polling, waits for a restart under way, and lets the twin's clock take over again. */
  stop(): Promise<void>;
}

export async function startMskDriver(opts: MskDriverOptions): Promise<MskDriver> {
  const { control, clusterArn, cluster } = opts;
  const intervalMs = opts.intervalMs ?? 200;
  const log = opts.log ?? (() => undefined);
  const restarts: MskDriverRestart[] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let lastPollError = '';

  await control.registerMskDriver(clusterArn);

  const restart = async (step: MskRestartStep): Promise<void> => {
    const { operationArn, brokerId, advertised } = step;
    const vpcListeners = step.vpcListeners ?? {};
    const started = Date.now();
    if (step.status === 'PENDING')
      await control.reportMskRestart({ operationArn, brokerId, status: 'started' });
    try {
      await cluster.restartBroker(brokerId, advertised, vpcListeners);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      restarts.push({
        operationArn,
        brokerId,
        advertised,
        vpcListeners,
        ms: Date.now() - started,
        error: message,
      });
      log(`MSK driver: broker ${brokerId} failed to restart: ${message}`);
      await control.reportMskRestart({ operationArn, brokerId, status: 'failed', message });
      return;
    }
    restarts.push({ operationArn, brokerId, advertised, vpcListeners, ms: Date.now() - started });
    log(
      `MSK driver: broker ${brokerId} restarted (${step.index + 1}/${step.total}) in ${Date.now() - started} ms`,
    );
    await control.reportMskRestart({ operationArn, brokerId, status: 'done' });
  };

  const tick = async (): Promise<void> => {
    try {
      // Brokers go one at a time: the twin offers the next only after this one is reported.
      for (const step of await control.mskRestarts(clusterArn)) {
        if (stopped) return;
        await restart(step);
      }
      lastPollError = '';
    } catch (err) {
      // The twin may be resetting or stopping; say so once per distinct error and keep polling.
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastPollError) log(`MSK driver (${clusterArn}): ${message}`);
      lastPollError = message;
    }
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = undefined;
        schedule();
      });
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    clusterArn,
    restarts,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await control.unregisterMskDriver(clusterArn).catch(() => undefined);
    },
  };
}
