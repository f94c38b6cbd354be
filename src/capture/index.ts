// Public entry of the capture stage: pure rule generation for iptables / ip6tables / nftables, the pod-annotation
// reader, and the apply/clean functions that change the current network namespace.
export { applyCapture, cleanCapture, runTool } from './apply.ts';
export { parseCidr } from './cidr.ts';
export type { Cidr } from './cidr.ts';
export { biplaneChains, biplaneJumps, iptablesCleanupLines, withCleanup } from './cleanup.ts';
export { DEFAULT_CAPTURE, PROXY_OWN_PORTS, resolveCapture, validateCaptureConfig } from './config.ts';
export type { CaptureBackend, CaptureConfig, ResolvedCapture } from './config.ts';
export { CHAINS, CHAIN_PREFIX } from './iptables.ts';
export { NFT_TABLE, nftablesCleanFile } from './nftables.ts';
export { CAPTURE_ANNOTATIONS, podCapture, splitList } from './pod.ts';
export type { PodCapture } from './pod.ts';
export { captureRules, loopbackAddresses } from './rules.ts';
export type { CaptureRules } from './rules.ts';
export { CAPTURE_USAGE, parseCaptureFlags } from './flags.ts';
export type { CaptureAction, CaptureFlags } from './flags.ts';
export { podCaptureFromManifests } from './manifests.ts';
export type { ManifestCapture } from './manifests.ts';
