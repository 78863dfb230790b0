// Pattern 2 on the brokers: per-broker advertised.listeners (rewrite mode) or a new listener
// (additive mode), changed through the Kafka admin API (KIP-226 dynamic broker configs, which
// work on ZooKeeper-mode clusters only). The originals are kept in outputs and restored on delete.
// Kafka, not AWS: not on the `resourceHandler` skeleton. Each call gets the brokers' admin API from
// `ctx.kafka()` (connection details, connected per call and closed after, or a lent admin).
import type { Admin } from 'kafkajs';
import { z } from 'zod';
import type { CfnPiece } from '../export/cfn-types.js';
import { MplError } from '../errors.js';
import {
  advertisedInMetadata,
  assertWritable,
  baseSettings,
  currentSettings,
  describeBroker,
  describeBrokers,
  dynamicListenerValues,
  errorText,
  kafkaFor,
  withAdmin,
  writeDynamic,
  type AdminSource,
  type BrokerConfig,
  type KafkaAccess,
} from '../kafka/admin.js';
import {
  ADVERTISED,
  changedSettings,
  changePresent,
  decodeOriginal,
  encodeOriginal,
  KEYS_OF_MODE,
  LISTENER_KEYS,
  LISTENERS,
  observedProps,
  PROTOCOL_MAP,
  parseListeners,
  reconstructOriginal,
  sameListener,
  type ListenerKey,
  type ListenerSettings,
  type Original,
} from '../kafka/listeners.js';
import type { Instance } from '../state/instance.js';
import { defineKind, type Handler, type HandlerCtx, type Live } from './kind.js';
import { poll } from './shared/poll.js';
import { Port } from './shared/schema.js';

const Props = z.strictObject({
  brokerId: z.number().int(),
  host: z.string(),
  mode: z.enum(['rewrite', 'additive']),
  listeners: z.array(
    z.strictObject({
      /** Kafka listener name: MSK's (CLIENT_SECURE ...) in rewrite mode, a new one in additive mode. */
      name: z.string(),
      securityProtocol: z.enum(['PLAINTEXT', 'SSL', 'SASL_SSL']),
      /** The port the broker listens on (the NLB's target port). */
      port: Port,
      advertisedPort: Port,
    }),
  ),
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `listener settings of broker ${p.brokerId ?? '?'}`;

// Kafka's own words (core DynamicBrokerConfig.scala, DynamicListenerConfig.validateReconfiguration,
// Kafka 3.x); kafkajs does not pass the broker's error message on, so we quote it.
const KRAFT_REFUSAL = 'Advertised listeners cannot be altered when using a Raft-based metadata quorum';

export function physicalIdOf(brokerId: number): string {
  return `broker-${brokerId}`;
}

/** What a change (or a restore) writes and what the broker must show afterwards. */
interface BrokerPlan {
  brokerId: number;
  original: Original;
  /** Per-broker dynamic value of every touched key after the write (null: not set dynamically). */
  target: Partial<Record<ListenerKey, string | null>>;
  /** The complete dynamic set to write (legacy AlterConfigs replaces it whole). */
  entries: Array<{ name: string; value: string }>;
  /** False when the broker already has the target: nothing to write. */
  changed: boolean;
  /** advertised.listeners in effect after the write. */
  advertised: string;
}

function isKraft(cfg: BrokerConfig): boolean {
  // ZooKeeper-mode brokers have process.roles empty (its default); KRaft nodes have broker/controller.
  return (cfg.value('process.roles') ?? '').trim() !== '';
}

function kraftRefusal(cfg: BrokerConfig, cause?: unknown): MplError {
  return new MplError(
    'PATTERN2_REFUSED_BY_KAFKA',
    `broker ${cfg.brokerId} runs in KRaft mode (process.roles=${cfg.value('process.roles')}): ` +
      `Kafka refuses per-broker listener changes there ("${KRAFT_REFUSAL}"); use pattern 1`,
    cause === undefined ? {} : { cause },
  );
}

function finishPlan(cfg: BrokerConfig, original: Original, target: BrokerPlan['target']): BrokerPlan {
  const touched = new Set<string>(Object.keys(target));
  const kept = cfg.dynamic
    .filter((e) => !touched.has(e.name))
    .map((e) => ({ name: e.name, value: e.value as string }));
  const ours = LISTENER_KEYS.flatMap((k) => {
    const v = target[k];
    return typeof v === 'string' ? [{ name: k, value: v }] : [];
  });
  const dyn = dynamicListenerValues(cfg);
  const changed = LISTENER_KEYS.some((k) => k in target && (dyn[k] ?? null) !== target[k]);
  // In effect after the write: a key set back to null falls to its static value, and an unset
  // advertised.listeners means the listeners themselves (Kafka's default).
  const current = currentSettings(cfg);
  const after = (k: ListenerKey): string | undefined => {
    const v = target[k];
    if (typeof v === 'string') return v;
    return k in target ? (cfg.base(k) ?? undefined) : current[k];
  };
  const advertised = after(ADVERTISED) || after(LISTENERS) || '';
  return {
    brokerId: cfg.brokerId,
    original,
    target,
    entries: [...kept, ...ours],
    changed,
    advertised,
  };
}

/**
 * The change for `props` on the broker `cfg` describes. The original is `prior` (the first one a
 * change recorded, kept through updates) completed with the current values of keys it lacks; with
 * no prior record, the current dynamic values, or a reconstruction if our change is already there.
 */
function planChange(
  cfg: BrokerConfig,
  props: Props,
  prior: Original | undefined,
  log: (m: string) => void,
): BrokerPlan {
  const dyn = dynamicListenerValues(cfg);
  const base = baseSettings(cfg);
  let original: Original;
  if (prior !== undefined) {
    original = { ...prior };
  } else if (changePresent(currentSettings(cfg), props)) {
    original = reconstructOriginal(dyn, base, props);
    log(
      `broker ${props.brokerId}: listener change found without a record of the originals; reconstructed them`,
    );
  } else {
    original = {};
  }
  for (const k of KEYS_OF_MODE[props.mode]) if (!(k in original)) original[k] = dyn[k] ?? null;
  // Computed from the originals, not from the current values, so an update never stacks on itself.
  const listeners = original[LISTENERS] ?? base[LISTENERS];
  const from: ListenerSettings = {
    [ADVERTISED]: original[ADVERTISED] ?? (cfg.base(ADVERTISED) || listeners),
    [LISTENERS]: listeners,
    [PROTOCOL_MAP]: original[PROTOCOL_MAP] ?? base[PROTOCOL_MAP],
  };
  const changed = changedSettings(from, props);
  const target: BrokerPlan['target'] = {};
  // Keys an earlier mode touched that this one does not go back to their originals.
  for (const k of LISTENER_KEYS) {
    if (k in changed) target[k] = changed[k] as string;
    else if (k in original) target[k] = original[k] ?? null;
  }
  return finishPlan(cfg, original, target);
}

function planRestore(cfg: BrokerConfig, original: Original): BrokerPlan {
  const target: BrokerPlan['target'] = {};
  for (const k of LISTENER_KEYS) if (k in original) target[k] = original[k] ?? null;
  return finishPlan(cfg, original, target);
}

async function write(admin: Admin, cfg: BrokerConfig, plan: BrokerPlan, validateOnly = false): Promise<void> {
  try {
    await writeDynamic(admin, plan.brokerId, plan.entries, validateOnly);
  } catch (e) {
    if (isKraft(cfg)) throw kraftRefusal(cfg, e);
    throw new MplError(
      'BROKER_CONFIG_REFUSED',
      `Kafka refused ${validateOnly ? 'to validate ' : ''}the listener settings for broker ${plan.brokerId} (${errorText(e)})`,
      {
        cause: e,
        detail:
          "the broker's log (kafka.server.ZkAdminManager / ConfigAdminManager) names the reason; " +
          `requested: ${plan.entries
            .filter((x) => (LISTENER_KEYS as readonly string[]).includes(x.name))
            .map((x) => `${x.name}=${x.value}`)
            .join(' ')}`,
      },
    );
  }
}

function verifyWait(ctx: HandlerCtx): { intervalMs: number; timeoutMs: number } {
  // Brokers apply a dynamic change within about a second (ZooKeeper change notification);
  // the executor's wait is sized for AWS, so keep it brief but not shorter than 10 s.
  return {
    intervalMs: Math.max(100, Math.min(ctx.wait.intervalMs, 1000)),
    timeoutMs: Math.max(10_000, Math.min(ctx.wait.timeoutMs, 60_000)),
  };
}

/**
 * Waits until the broker reports the target dynamic values and metadata shows it at the planned
 * endpoint of the listener the admin uses (by name when we know the admin's port, else any of
 * the expected advertised endpoints). Returns the broker's configuration at that point.
 */
async function verify(
  ctx: HandlerCtx,
  admin: Admin,
  source: AdminSource,
  plan: BrokerPlan,
  host: string | undefined,
): Promise<BrokerConfig> {
  const id = plan.brokerId;
  const expected = parseListeners(plan.advertised);
  try {
    return await poll(`broker ${id} listener change`, verifyWait(ctx), async () => {
      const cfg = await describeBroker(admin, id);
      const dyn = dynamicListenerValues(cfg);
      for (const k of LISTENER_KEYS) {
        if (k in plan.target && (dyn[k] ?? null) !== plan.target[k]) {
          return { done: false, state: `reporting ${k}=${dyn[k] ?? '(static)'}` };
        }
      }
      const seen = (await advertisedInMetadata(admin)).get(id);
      if (seen === undefined) return { done: false, state: 'missing from metadata' };
      const adminPort = typeof source === 'function' ? undefined : source.listener.port;
      const adminListener = parseListeners(currentSettings(cfg)[LISTENERS]).find((e) => e.port === adminPort);
      const named = adminListener && expected.find((e) => sameListener(e.name, adminListener.name));
      const wanted = named ? [named] : expected;
      const ok = wanted.some((e) => `${e.host}:${e.port}`.toLowerCase() === seen.toLowerCase());
      if (!ok) {
        return {
          done: false,
          state: `advertising ${seen} in metadata (planned ${wanted.map((e) => `${e.host}:${e.port}`).join(' or ')})`,
        };
      }
      if (host !== undefined && typeof source !== 'function') {
        const problem = await probeNewListeners(source, cfg, expected, host);
        if (problem) return { done: false, state: problem };
      }
      return { done: true, value: cfg };
    });
  } catch (e) {
    if (e instanceof MplError && e.code === 'WAIT_TIMEOUT') {
      throw new MplError('BROKER_LISTENER_NOT_APPLIED', `Kafka accepted the change, but ${e.message}`, {
        cause: e,
        retriable: true,
      });
    }
    throw e;
  }
}

/**
 * Additive mode: a fresh client through each new listener this access can speak must get
 * metadata naming the broker at host:advertisedPort (proves the listener serves, TLS included).
 */
async function probeNewListeners(
  access: KafkaAccess,
  cfg: BrokerConfig,
  expected: ReturnType<typeof parseListeners>,
  host: string,
): Promise<string | undefined> {
  const bound = parseListeners(currentSettings(cfg)[LISTENERS]);
  const map = currentSettings(cfg)['listener.security.protocol.map'];
  const speaks = access.listener.ssl ? (access.listener.sasl ? 'SASL_SSL' : 'SSL') : 'PLAINTEXT';
  const broker = access.brokers.find((b) => b.id === cfg.brokerId);
  if (broker === undefined) return undefined;
  for (const adv of expected) {
    const b = bound.find((e) => sameListener(e.name, adv.name));
    if (
      b === undefined ||
      b.port === access.listener.port ||
      !adv.name.toUpperCase().startsWith('PRIVATELINK')
    ) {
      continue;
    }
    const protocol = map
      .split(',')
      .find((m) => sameListener(m.split(':')[0] ?? '', adv.name))
      ?.split(':')[1];
    if (protocol !== speaks) continue;
    const probe = kafkaFor(access, [broker], b.port).admin();
    try {
      await probe.connect();
      const seen = (await advertisedInMetadata(probe)).get(cfg.brokerId);
      if (seen?.toLowerCase() !== `${host}:${adv.port}`.toLowerCase()) {
        return `advertising ${seen} through ${adv.name} (planned ${host}:${adv.port})`;
      }
    } catch (e) {
      return `not answering on ${adv.name} port ${b.port} (${errorText(e)})`;
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
  }
  return undefined;
}

async function inCluster(admin: Admin, brokerId: number): Promise<boolean> {
  return (await advertisedInMetadata(admin)).has(brokerId);
}

function propsOf(value: unknown): Props | undefined {
  const r = Props.safeParse(value);
  return r.success ? r.data : undefined;
}

function brokerIdOf(known: Instance<Props>): number | undefined {
  // State written by an older version (or by hand) may lack the props: fall back to the physical id.
  const fromProps = (known.props as { brokerId?: unknown }).brokerId;
  if (typeof fromProps === 'number') return fromProps;
  const m = /^broker-(\d+)$/.exec(known.physicalId);
  return m ? Number(m[1]) : undefined;
}

/** Makes (or updates) the change for `props`, starting from the `prior` originals when there are some. */
async function apply(ctx: HandlerCtx, props: Props, prior: Original | undefined): Promise<Live<Props>> {
  const source = await ctx.kafka();
  return withAdmin(source, async (admin) => {
    const cfg = await describeBroker(admin, props.brokerId);
    if (isKraft(cfg)) throw kraftRefusal(cfg);
    assertWritable(cfg);
    const plan = planChange(cfg, props, prior, (m) => ctx.log(m));
    if (plan.changed) {
      ctx.log(
        `broker ${props.brokerId}: ${props.mode} listeners ${props.listeners.map((l) => `${l.name}->${l.advertisedPort}`).join(', ')}`,
      );
      await write(admin, cfg, plan);
    }
    const after = await verify(ctx, admin, source, plan, props.mode === 'additive' ? props.host : undefined);
    return {
      physicalId: physicalIdOf(props.brokerId),
      props: observedProps(currentSettings(after), props),
      outputs: { original: encodeOriginal(plan.original) },
    };
  });
}

const handler: Handler<Props> = {
  async read(ctx, desired, known) {
    const template = desired?.props ?? propsOf(known?.props);
    const id = desired?.id ?? known?.id;
    if (template === undefined || id === undefined) return undefined;
    const source = await ctx.kafka();
    return withAdmin(source, async (admin) => {
      if (!(await inCluster(admin, template.brokerId))) return undefined;
      const cfg = await describeBroker(admin, template.brokerId);
      const current = currentSettings(cfg);
      // Nothing of the change there (never made, or restored): the plan shows a create.
      if (!changePresent(current, template)) return undefined;
      const original =
        decodeOriginal(known?.outputs.original) ??
        reconstructOriginal(dynamicListenerValues(cfg), baseSettings(cfg), template);
      return {
        physicalId: physicalIdOf(template.brokerId),
        props: observedProps(current, template),
        outputs: { original: encodeOriginal(original) },
      };
    });
  },

  create(ctx, r) {
    return apply(ctx, r.props, undefined);
  },

  update(ctx, r, before) {
    // Keep the first originals: restoring to an intermediate state would leave our change behind.
    return apply(ctx, r.props, decodeOriginal(before.outputs.original));
  },

  async delete(ctx, known) {
    const brokerId = brokerIdOf(known);
    if (brokerId === undefined) {
      throw new MplError('BROKER_ID_UNKNOWN', `${known.id}: no broker id in state to restore`);
    }
    const source = await ctx.kafka();
    await withAdmin(source, async (admin) => {
      if (!(await inCluster(admin, brokerId))) {
        // A removed broker has no listeners to restore; one that comes back under this id gets
        // its dynamic settings from ZooKeeper, where `status` shows them.
        ctx.log(`broker ${brokerId} is not in the cluster: nothing to restore`);
        return;
      }
      const cfg = await describeBroker(admin, brokerId);
      let original = decodeOriginal(known.outputs.original);
      if (original === undefined) {
        const template = propsOf(known.props);
        if (template === undefined || !changePresent(currentSettings(cfg), template)) return;
        original = reconstructOriginal(dynamicListenerValues(cfg), baseSettings(cfg), template);
        ctx.log(`broker ${brokerId}: no originals in state; restoring reconstructed ones`);
      }
      const plan = planRestore(cfg, original);
      if (!plan.changed) return; // already restored
      assertWritable(cfg);
      ctx.log(`broker ${brokerId}: restoring ${Object.keys(plan.target).join(', ')}`);
      await write(admin, cfg, plan);
      await verify(ctx, admin, source, plan, undefined);
    });
  },
};

export const brokerListenerConfig = defineKind({
  kind: 'broker-listener-config',
  // Broker settings are changed through Kafka's admin API, not AWS (with SASL/IAM the admin
  // client's role needs kafka-cluster actions, which the MSK developer guide lists).
  iam: { reads: [], writes: () => [] },
  props: Props,
  // One resource per broker: another broker is another resource. Listener changes are dynamic
  // broker configs, written in place (AlterConfigs).
  // Kafka's dynamic broker configs, not AWS: commands of Kafka's kafka-configs.sh (its list values
  // in brackets). Each key's new value is the broker's current one changed, so the first command
  // shows it. The undo deletes the per-broker values: the broker goes back to its static ones.
  // Terraform cannot pause for commands a person completes (each value is the broker's current one
  // changed): the CloudFormation runbook gives them.
  terraform: () => {
    throw new MplError(
      'EXPORT_UNSUPPORTED',
      "export --format terraform does not cover pattern 2's rewrite and additive modes: each broker's new listener settings are its current ones changed, which a person reads first; use --format cloudformation (its runbook has the kafka-configs.sh commands), or pattern2.mode: msk-configuration",
    );
  },
  cloudformation: (p: Props): CfnPiece => {
    const keys: readonly string[] = KEYS_OF_MODE[p.mode];
    const admin = `kafka-configs.sh --bootstrap-server ${p.host}:<client port> --command-config client.properties --entity-type brokers --entity-name ${p.brokerId}`;
    const change = (key: string, l: Props['listeners'][number]) =>
      key === ADVERTISED
        ? p.mode === 'rewrite'
          ? `${l.name}://${p.host}:${l.advertisedPort} in place of ${l.name}'s entry`
          : `${l.name}://${p.host}:${l.advertisedPort} added`
        : key === LISTENERS
          ? `${l.name}://:${l.port} added`
          : `${l.name}:${l.securityProtocol} added`;
    const value = (key: string) =>
      `${key}=[<current ${key}, with ${p.listeners.map((l) => change(key, l)).join(', ')}>]`;
    return {
      manual: {
        what: `broker ${p.brokerId} advertises its PrivateLink port${p.listeners.length > 1 ? 's' : ''} (${p.mode} mode; <client port> is a listener the tool's client reaches, client.properties its security settings; the first command shows the current values, which must not be set per broker already)`,
        gate: true,
        apply: [
          `${admin} --describe --all | grep -E '^ *(${keys.map((k) => k.replaceAll('.', '\\.')).join('|')})='`,
          `${admin} --alter --add-config '${keys.map(value).join(',')}'`,
        ].join('\n'),
        undo: `${admin} --alter --delete-config ${keys.join(',')}`,
      },
    };
  },
  replaceOn: ['brokerId'],
  label,
  handler,
  // No `scan`: the settings live in Kafka, not in AWS, and carry no tags. After a state loss the
  // plan's own resources of this kind cover them (one per broker), and read reconstructs the
  // originals that delete restores (reconstructOriginal) when state no longer has them.

  /**
   * Checks, without changing anything, that pattern 2 can be applied to these brokers: they are in
   * the cluster's metadata, run in ZooKeeper mode, have no dynamic setting Kafka will not return,
   * and advertise the listeners to change; Kafka then validates the exact request (AlterConfigs
   * with validateOnly). Run it before any AWS resource is made. Deletes are not checked: they
   * restore what state recorded, and a broker that left the cluster has nothing to restore.
   * Kafka is only reached when there is something to check.
   */
  async preflight(ctx, items) {
    const props = items.filter((i) => i.action !== 'delete').map((i) => i.props);
    const ids = [...new Set(props.map((p) => p.brokerId))].sort((a, b) => a - b);
    if (ids.length === 0) return;
    const source = await ctx.kafka();
    await withAdmin(source, async (admin) => {
      const { brokers } = await admin.describeCluster();
      const missing = ids.filter((id) => !brokers.some((b) => b.nodeId === id));
      if (missing.length > 0) {
        throw new MplError(
          'BROKER_NOT_FOUND',
          `brokers ${missing.join(', ')} are not in the cluster's metadata (it has ${brokers.map((b) => b.nodeId).join(', ')})`,
        );
      }
      const cfgs = await describeBrokers(admin, ids);
      const kraft = cfgs.find(isKraft);
      if (kraft) throw kraftRefusal(kraft);
      const problems: MplError[] = [];
      for (const cfg of cfgs) {
        try {
          assertWritable(cfg);
          for (const p of props) {
            if (p.brokerId !== cfg.brokerId) continue;
            const plan = planChange(cfg, p, undefined, () => undefined);
            if (plan.changed) await write(admin, cfg, plan, true);
          }
        } catch (e) {
          if (!(e instanceof MplError)) throw e;
          problems.push(e);
        }
      }
      const [first, ...rest] = problems;
      if (first === undefined) return;
      if (rest.length === 0) throw first;
      throw new MplError(first.code, first.message, {
        cause: first,
        detail: `also: ${rest.map((e) => `${e.message} [${e.code}]`).join('; ')}`,
      });
    });
  },
});
