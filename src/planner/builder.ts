import type { Kind, PropsOf, Resource, ResourceOf } from '../kinds/index.js';

/** Collects the planner's resources; refuses duplicate ids and references to unknown ids. */
export class ResourceSet {
  private readonly byId = new Map<string, Resource>();

  add<K extends Kind>(
    kind: K,
    id: string,
    account: string,
    region: string,
    props: PropsOf<K>,
    dependsOn: string[] = [],
  ): ResourceOf<K> {
    if (this.byId.has(id)) throw new Error(`planner bug: duplicate logical id ${id}`);
    const r = { kind, id, account, region, props, dependsOn: [...new Set(dependsOn)] } as ResourceOf<K>;
    this.byId.set(id, r as Resource);
    return r;
  }

  list(): Resource[] {
    for (const r of this.byId.values()) {
      for (const d of r.dependsOn) {
        if (!this.byId.has(d)) throw new Error(`planner bug: ${r.id} depends on unknown ${d}`);
      }
    }
    return [...this.byId.values()];
  }
}
