// The bundled snapshot of AWS Price List API prices, written by scripts/price-snapshot.ts (with AWS
// credentials allowed pricing:GetProducts): `npx tsx scripts/price-snapshot.ts` reads every commercial
// region the API prices and rewrites this file. prices.ts uses a region of it where the price table has
// none, or where this snapshot is newer than the table.
//
// Empty as bundled: it has never been generated, because the project's machines have no AWS
// credentials and no route to the Price List API. Offline prices are the table in prices.ts (four
// regions, figures from AWS's pricing pages) until someone with credentials runs the script.
import type { PriceSnapshot } from './prices.js';

export const PRICE_SNAPSHOT: PriceSnapshot = {
  date: null,
  source: 'not generated: no AWS credentials where this file was written (see the comment above)',
  regions: {},
  skipped: {},
};
