export declare const STANDARD_EDITOR_IDS: readonly string[];
/** Initialises @grafana/data's standardEditorsRegistry and standardFieldConfigEditorRegistry (see .mjs). */
export declare function initStandardEditors(grafanaData: object, editor?: unknown): void;
