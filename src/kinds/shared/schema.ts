// Zod pieces the kinds' props schemas share.
import { z } from 'zod';

export const Tags = z.record(z.string(), z.string());
export const Port = z.number().int().min(1).max(65535);
/** A reference to another resource of the plan: its logical id. */
export const Ref = z.string().min(1);
