/**
 * Instants as the dashboard shows them: formatted in the dashboard's time zone (`props.timeZone`: 'browser',
 * 'utc' or an IANA zone) with `dateTimeFormat` of @grafana/data.
 */
import { dateTimeFormat, type TimeZone } from '@grafana/data';

/** `YYYY-MM-DD HH:mm:ss.SSS` in the dashboard's time zone. */
export function fmtInstant(t: number, timeZone?: TimeZone): string {
  return dateTimeFormat(t, { timeZone, format: 'YYYY-MM-DD HH:mm:ss.SSS' });
}

/** `HH:mm:ss.SSS` in the dashboard's time zone. */
export function fmtTimeMs(t: number, timeZone?: TimeZone): string {
  return dateTimeFormat(t, { timeZone, format: 'HH:mm:ss.SSS' });
}

/** `HH:mm:ss` in the dashboard's time zone ('' for an unknown instant). */
export function fmtTime(t: number | null, timeZone?: TimeZone): string {
  return t === null ? '' : dateTimeFormat(t, { timeZone, format: 'HH:mm:ss' });
}
