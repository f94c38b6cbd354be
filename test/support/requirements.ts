// What a suite needs beyond Node (root, network-namespace tools, a real Envoy), checked once per suite. Outside CI a
// missing piece skips the suite with the reason; under CI (CI set, not "false"/"0") it fails, because a clean CI
// machine is set up by .ci/run and a skip there would hide a broken install.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

/** Something a suite needs from the machine. */
export type Requirement = 'root' | 'ip' | 'iptables' | 'ip6tables' | 'nft' | 'envoy' | 'curl' | 'unshare' | 'chromium';

/** The repository root. */
const REPO = path.join(import.meta.dirname, '../..');

/** True when running under CI, where a missing requirement is a failure, not a skip. */
export function underCi(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable named `name` on PATH. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, name))) return path.join(dir, name);
  }
  // Debian keeps iptables, nft and ip in sbin, which a non-root PATH may lack.
  return ['/usr/sbin', '/sbin'].map((d) => path.join(d, name)).find(executable);
}

/** Envoy's binary: `ENVOY_BIN`, then the project-local install (`npm run setup:envoy`), then `envoy` on PATH. */
export function envoyBinary(): string | undefined {
  const fromEnv = process.env['ENVOY_BIN'];
  if (fromEnv) return executable(fromEnv) ? fromEnv : undefined;
  const local = path.join(REPO, '.envoy', 'bin', 'envoy');
  return executable(local) ? local : onPath('envoy');
}

/** A headless browser for the web view's tests: `CHROMIUM_BIN`, else Debian's `chromium` on PATH. */
export function chromiumBinary(): string | undefined {
  const fromEnv = process.env['CHROMIUM_BIN'];
  if (fromEnv) return executable(fromEnv) ? fromEnv : undefined;
  return onPath('chromium');
}

/** `unshare` flags for a private network namespace: root needs only `--net`; others map themselves to root in a user namespace. */
export function unshareFlags(): string[] {
  return process.getuid?.() === 0 ? ['--net'] : ['--user', '--map-root-user', '--net'];
}

/** Why `need` is not met here, or undefined when it is. */
function gap(need: Requirement): string | undefined {
  switch (need) {
    case 'root':
      return process.getuid?.() === 0 ? undefined : 'root (network namespaces and packet rules)';
    case 'envoy': {
      if (process.env['ENVOY_BIN'] && !envoyBinary()) return `Envoy at ENVOY_BIN=${process.env['ENVOY_BIN']} (not executable)`;
      const bin = envoyBinary();
      if (!bin) return 'Envoy (run `npm run setup:envoy`, or set ENVOY_BIN)';
      const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 });
      return r.status === 0 ? undefined : `a working Envoy (${bin} --version failed: ${(r.stderr || String(r.error)).trim()})`;
    }
    case 'ip':
      return onPath('ip') ? undefined : '`ip` (Debian package iproute2)';
    case 'iptables':
    case 'ip6tables':
      return onPath(need) ? undefined : `\`${need}\` (Debian package iptables)`;
    case 'nft':
      return onPath('nft') ? undefined : '`nft` (Debian package nftables)';
    case 'unshare': {
      if (!onPath('unshare')) return '`unshare` (Debian package util-linux)';
      const r = spawnSync('unshare', [...unshareFlags(), 'true'], { encoding: 'utf8', timeout: 10_000 });
      return r.status === 0 ? undefined : `a private network namespace (\`unshare ${unshareFlags().join(' ')}\` failed: ${r.stderr.trim()}; run as root)`;
    }
    case 'curl':
      return onPath('curl') ? undefined : '`curl` (Debian package curl)';
    case 'chromium': {
      const bin = chromiumBinary();
      if (!bin) return 'Chromium (Debian package chromium, or set CHROMIUM_BIN)';
      const r = spawnSync(bin, ['--headless', '--no-sandbox', '--version'], { encoding: 'utf8', timeout: 30_000 });
      return r.status === 0 ? undefined : `a working Chromium (${bin} --version failed: ${(r.stderr || String(r.error)).trim()})`;
    }
  }
}

/** The missing requirements among `needs`, each as a phrase saying what to install. */
export function missing(needs: readonly Requirement[]): string[] {
  return needs.map(gap).filter((g): g is string => g !== undefined);
}

/**
 * Checks `needs` for the suite `suite`. Returns false when everything is there (run the tests), else the skip reason
 * to pass as `{ skip }`. Under CI it also registers one failing test that names what is missing.
 */
export function requireOrSkip(suite: string, needs: readonly Requirement[]): string | false {
  const gaps = missing(needs);
  if (gaps.length === 0) return false;
  const reason = `${suite} needs ${gaps.join(', ')} (.ci/run, as root, sets all of it up)`;
  if (underCi()) {
    test(`${suite}: what it needs is installed (CI)`, () => {
      throw new Error(reason);
    });
  }
  return reason;
}
