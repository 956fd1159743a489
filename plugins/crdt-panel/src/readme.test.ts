import path from 'node:path';
import { expect, it } from 'vitest';
import { readmeImageProblems } from '../../.config/readme-images.mjs';

it('README images resolve in the repository and in the packaged plugin', () => {
  expect(readmeImageProblems(path.resolve(__dirname, '..'))).toEqual([]);
});
