export declare const NODE_VERSION: string;
export interface ArchInfo {
  node: string;
  debian: string;
  triplet: string;
  loader: string;
}
export declare const ARCHES: Record<'amd64' | 'arm64', ArchInfo>;
export declare function cacheDir(): string;
export declare function nodeBinary(arch: 'amd64' | 'arm64'): string;
export declare function glibcRuntime(arch: 'amd64' | 'arm64'): string;
