/** One- or two-letter type badges (an icon per Yjs type) and their theme colour slot. */
export const TYPE_BADGES: Record<string, { label: string; color: string }> = {
  Map: { label: 'M', color: 'blue' },
  Array: { label: 'A', color: 'purple' },
  Text: { label: 'T', color: 'green' },
  XmlFragment: { label: 'XF', color: 'orange' },
  XmlElement: { label: 'XE', color: 'orange' },
  XmlText: { label: 'XT', color: 'yellow' },
  XmlHook: { label: 'XH', color: 'orange' },
  Doc: { label: 'D', color: 'red' },
  value: { label: 'V', color: 'text' },
};

export function badgeFor(type: string): { label: string; color: string } {
  return TYPE_BADGES[type] ?? { label: '?', color: 'text' };
}
