/**
 * glibc malloc settings for a process that runs analyses (the CLI, the extension's worker).
 *
 * ONNX Runtime allocates every intermediate tensor of a reverse pass with malloc and frees it
 * when the pass is done; each family session runs once. With glibc's defaults a block above the
 * (dynamic) mmap threshold is a fresh mapping that the kernel zero-fills page by page on first
 * touch and unmaps on free, so every pass pays its whole working set again in page faults:
 * on the 2-core machine a third of a ResNet-18-sized analysis was system time. Three settings
 * keep freed memory in the heap for the next pass, and back large blocks with huge pages:
 *
 * - mmap_threshold 32 MiB (glibc's largest): blocks up to that come from the heap, not mmap;
 * - mmap_max 0: no block comes from mmap, not even above 32 MiB. A ResNet-18-sized pass stacks
 *   8 probes of 16 samples at its stem's [32, 32, 64], exactly 32 MiB a tensor, which with
 *   ORT's alignment is just over the threshold: every such tensor was a fresh mapping. An ORT
 *   Mul of two of them took 16 ms with mmap, 5 ms without (4 ms for half the size);
 * - trim_threshold 16 GiB: free memory at the heap's top is not given back between passes;
 * - hugetlb=1: the heap and the larger mappings use transparent huge pages (madvise), one
 *   fault per 2 MiB instead of per 4 KiB.
 *
 * Measured with `--backend ort` (bench/results-2026-12-07-allocator.md): resnet18_64 11.7 s ->
 * 7.8 s, mobilenetv2_64 22.4 s -> 16.6 s; peak RSS +6% (the heap keeps what a pass freed, up to
 * the peak it reached anyway). mmap_max 0 then took resnet18_64 from 6.1-6.8 s to 5.8-6.2 s
 * (3 runs each, interleaved; peak RSS 1.16-1.22 -> 1.23-1.31 GB). wasm keeps its own linear
 * memory and is unaffected; PyTorch's reference got slower with them, so the bench runs it
 * without. The price: memory a long-lived process freed stays in its heap, up to its peak.
 *
 * They must be in the environment when the process starts (glibc reads them once), so they
 * are given to child processes: the extension's worker, and the CLI relaunches itself once
 * (cli/relaunch.ts). Other C libraries (macOS, Windows, musl) ignore the variable.
 * GRADIENT_LENS_ALLOCATOR=system leaves the allocator as it is.
 */
export const ALLOCATOR_TUNABLES: readonly string[] = [
  'glibc.malloc.hugetlb=1',
  'glibc.malloc.mmap_threshold=33554432',
  'glibc.malloc.mmap_max=0',
  'glibc.malloc.trim_threshold=17179869184',
];

const OPT_OUT_ENV = 'GRADIENT_LENS_ALLOCATOR';

/** Whether processes started with `env` should get the settings (Linux, not opted out). */
function wantsAllocatorTunables(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux' && env[OPT_OUT_ENV] !== 'system';
}

/**
 * `env` with the settings added to GLIBC_TUNABLES (a caller's own tunables kept, and a
 * caller's own value of the same tunable left to win), or `env` itself when there is nothing
 * to add (they do not apply, or every one is set already): a process whose own environment
 * comes back unchanged has them.
 */
export function withAllocatorTunables(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  if (!wantsAllocatorTunables(env, platform)) return env;
  const own = (env.GLIBC_TUNABLES ?? '').split(':').filter((t) => t !== '');
  const ownNames = new Set(own.map((t) => t.split('=')[0]));
  const added = ALLOCATOR_TUNABLES.filter((t) => !ownNames.has(t.split('=')[0]));
  if (added.length === 0) return env;
  return { ...env, GLIBC_TUNABLES: [...own, ...added].join(':') };
}
