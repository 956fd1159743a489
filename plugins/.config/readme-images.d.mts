/** Problems with the README images of the plugin in `pluginDir` (empty when every image resolves). */
export declare function readmeImageProblems(pluginDir: string): string[];
