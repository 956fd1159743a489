// Grafana core initialises @grafana/data's option-editor registries at boot (getAllOptionEditors /
// getAllStandardFieldConfigs, which live in Grafana itself, not in a package). Panel option builders and
// applyFieldOverrides need them. This is the equivalent for unit tests and the E2E host: every editor id the
// builders look up, and the standard field options with Grafana's processors and defaults.
// `grafanaData` is the `@grafana/data` module namespace to initialise (the E2E host passes its leg's copy);
// `editor` is the React component used for every editor (no option UI is rendered outside Grafana).

export const STANDARD_EDITOR_IDS = [
  'boolean',
  'color',
  'dashboard-uid',
  'field-name',
  'multi-select',
  'number',
  'radio',
  'select',
  'slider',
  'strings',
  'text',
  'timezone',
  'unit',
  'thresholds',
  'mappings',
  'links',
  'fieldColor',
  'stats-picker',
];

export function initStandardEditors(grafanaData, editor = () => null) {
  const d = grafanaData;
  d.standardEditorsRegistry.setInit(() =>
    STANDARD_EDITOR_IDS.map((id) => ({ id, name: id, description: '', editor }))
  );
  const std = (id, process, extra = {}) => ({
    id,
    path: id,
    name: id,
    description: '',
    editor,
    override: editor,
    process,
    shouldApply: () => true,
    settings: {},
    category: ['Standard options'],
    ...extra,
  });
  d.standardFieldConfigEditorRegistry.setInit(() => [
    std('displayName', d.displayNameOverrideProcessor),
    std('unit', d.unitOverrideProcessor),
    std('min', d.numberOverrideProcessor),
    std('max', d.numberOverrideProcessor),
    std('fieldMinMax', d.booleanOverrideProcessor, { defaultValue: false }),
    std('decimals', d.numberOverrideProcessor),
    std('noValue', d.stringOverrideProcessor),
    std('mappings', d.valueMappingsOverrideProcessor, { defaultValue: [] }),
    std('thresholds', d.thresholdsOverrideProcessor, {
      defaultValue: {
        mode: d.ThresholdsMode.Absolute,
        steps: [
          { value: -Infinity, color: 'green' },
          { value: 80, color: 'red' },
        ],
      },
    }),
    std('color', d.identityOverrideProcessor, { defaultValue: { mode: d.FieldColorModeId.PaletteClassic } }),
    std('links', d.dataLinksOverrideProcessor, { defaultValue: [] }),
    std('filterable', d.booleanOverrideProcessor, { hideFromDefaults: true }),
  ]);
}
