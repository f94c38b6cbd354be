// Public entry of the capture stage: pure rule generation for iptables / ip6tables / nftables (REDIRECT or TPROXY
// inbound), the pod-annotation reader, and the apply/clean functions that change the current network namespace.
export { applyCapture, cleanCapture, restoreTables, runTool } from './apply.ts';
export { parseCidr } from './rule-ranges.ts';
export type { Cidr } from './rule-ranges.ts';
export { biplaneChains, biplaneJumps, biplaneRules, iptablesCleanup, iptablesCleanupLines, joinTables } from './cleanup.ts';
export { DEFAULT_CAPTURE, PROXY_OWN_PORTS, resolveCapture, validateCaptureConfig } from './config.ts';
export type { CaptureBackend, CaptureConfig, CaptureMode, ResolvedCapture } from './config.ts';
export { restoreInput } from './iptables.ts';
export { CHAINS, CHAIN_PREFIX, NFT_TABLE, TABLES } from './names.ts';
export type { IptablesTable, TableLines } from './names.ts';
export { nftablesCleanFile } from './nftables.ts';
export { CAPTURE_ANNOTATIONS, INTERCEPTION_ANNOTATION, podCapture, splitList } from './pod.ts';
export type { PodCapture } from './pod.ts';
export { policyRoutes, policyRoutingScript } from './routing.ts';
export type { PolicyRoute, PolicyRouting } from './routing.ts';
export { captureRules, iptablesFamilies, loopbackAddresses, routesOf } from './rules.ts';
export type { CaptureRules, FamilyTables } from './rules.ts';
export { CAPTURE_USAGE, parseCaptureFlags } from './flags.ts';
export type { CaptureAction, CaptureFlags } from './flags.ts';
export { podCaptureFromManifests } from './manifests.ts';
export type { ManifestCapture } from './manifests.ts';
