export { recognise, configured, type Recognised } from './recognise.js';
export { plainCssColor, relPos, type RelPos, type IdJSON } from './fields.js';
