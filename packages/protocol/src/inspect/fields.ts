/** Field schemas every inspect message shares (internal: not exported from the package). */
import { z } from 'zod';
import { INSPECT_PROTOCOL_VERSION } from './constants.js';

export const v = z.literal(INSPECT_PROTOCOL_VERSION);
export const ReqId = z.string().min(1).max(64);
export const SubId = z.string().min(1).max(64);
export const RoomId = z.string().min(3).max(127);
export const Ts = z.number().finite().nonnegative();
export const Count = z.number().int().nonnegative();
