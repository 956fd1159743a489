/** .proto files are embedded as text (esbuild `--loader:.proto=text`, the vitest raw-text plugin). */
declare module '*.proto' {
  const text: string;
  export default text;
}
