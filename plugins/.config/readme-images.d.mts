/** The README the build ships: src/README.md when it exists, else the plugin's README.md. */
export declare function shippedReadme(pluginDir: string): string;
/** The shipped README's text as in dist/: repository links to src/img/… become img/… (dist/img/ is src/img/). */
export declare function distReadmeText(text: string): string;
/** Problems with the README images of the plugin in `pluginDir` (empty when every image resolves). */
export declare function readmeImageProblems(pluginDir: string): string[];
