// Finds everything a stack made from AWS alone (AWS is the truth, state is a cache): each kind's
// `scan` in every account and region of the config, parents first, so a lost state file can be
// rebuilt and a plan made after it keeps what exists.
import type { Config } from '../config/schema.js';
import { awsFailure } from '../aws/errors.js';
import { MplError } from '../errors.js';
import { KINDS, kindDef, type Kind } from '../kinds/index.js';
import type { HandlerCtx } from '../kinds/kind.js';
import type { Instance } from '../state/instance.js';
import { handlerCtx, type RunDeps } from './context.js';
import { walk } from './walk.js';

export interface ScanPlace {
  account: string;
  region: string;
}

/** Every account and region a config's resources live in: the provider's and each consumer's, in its region. */
export function scanPlaces(config: Pick<Config, 'region' | 'provider' | 'consumers'>): ScanPlace[] {
  // Consumers in another region (cross-region PrivateLink) are scanned there.
  const places = [
    `${config.provider.account}|${config.region}`,
    ...config.consumers.map((c) => `${c.account}|${c.region ?? config.region}`),
  ];
  return [...new Set(places)].map((p) => {
    const [account = '', region = ''] = p.split('|');
    return { account, region };
  });
}

/** A handler's context for a scan: like the engine's, but `ref` and `idOf` answer from what was found. */
function scanCtx(
  deps: Omit<RunDeps, 'parallelism'>,
  place: ScanPlace,
  found: ReadonlyMap<string, Instance>,
  byPhysicalId: ReadonlyMap<string, string>,
): HandlerCtx {
  return {
    ...handlerCtx(deps, place.account, place.region),
    ref: (id) => {
      const k = found.get(id);
      if (!k) throw new MplError('REF_MISSING', `${id} was not found`);
      return k;
    },
    idOf: (physicalId) => byPhysicalId.get(physicalId),
  };
}

/**
 * Every resource of stack `deps.stack` in the given accounts and regions, by logical id, found
 * without state. Each kind with a `scan` runs once per account and region, after every run of the
 * kinds in its `scanAfter` (in all accounts: an acceptance in the provider account is found through
 * endpoints in the consumers'), so parents are in `found` before their children are looked for.
 * Reports a `log` event per account with how many resources it holds.
 */
export async function scanStack(deps: RunDeps, accounts: ScanPlace[]): Promise<Map<string, Instance>> {
  const places = [...new Map(accounts.map((p) => [`${p.account}|${p.region}`, p])).values()];
  const found = new Map<string, Instance>();
  // The first resource found with a physical id keeps it (a service's permissions share its id).
  const byPhysicalId = new Map<string, string>();
  const perAccount = new Map<string, number>(places.map((p) => [p.account, 0]));
  const key = (kind: Kind, p: ScanPlace) => `${kind}|${p.account}|${p.region}`;
  const scanned = KINDS.filter((k) => kindDef(k).scan !== undefined);
  const nodes = scanned.flatMap((kind) =>
    places.map((place) => ({
      key: key(kind, place),
      after: (kindDef(kind).scanAfter ?? []).flatMap((k) => places.map((p) => key(k, p))),
      kind,
      place,
    })),
  );

  await walk(nodes, deps.parallelism, async ({ kind, place }) => {
    const scan = kindDef(kind).scan;
    if (scan === undefined) return;
    const ctx = scanCtx(deps, place, found, byPhysicalId);
    let results;
    try {
      results = await scan(ctx, found);
    } catch (e) {
      // Classified like a read (no credentials, throttling, a real failure), naming what was looked for.
      throw awsFailure('READ_FAILED', `the stack's ${kind}s in account ${place.account}`, e);
    }
    for (const { id, live, dependsOn } of results) {
      const other = found.get(id);
      if (other !== undefined) {
        deps.reporter.emit({
          type: 'log',
          level: 'warn',
          id,
          message: `${id} found twice (${other.kind} ${other.physicalId} in ${other.account}, ${kind} ${live.physicalId} in ${place.account}); keeping the first`,
        });
        continue;
      }
      found.set(id, {
        id,
        kind,
        account: place.account,
        region: place.region,
        physicalId: live.physicalId,
        props: live.props,
        dependsOn: dependsOn ?? [],
        outputs: live.outputs,
        status: live.unusable ? 'tainted' : 'ready',
      });
      if (!byPhysicalId.has(live.physicalId)) byPhysicalId.set(live.physicalId, id);
      perAccount.set(place.account, (perAccount.get(place.account) ?? 0) + 1);
    }
  });

  for (const [account, n] of perAccount) {
    deps.reporter.emit({
      type: 'log',
      level: 'info',
      message: `found ${n} resources of stack ${deps.stack} in account ${account}`,
    });
  }
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
