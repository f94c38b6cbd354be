// Building one proxy's configuration: the single place that picks the translator by the proxy's kind (Envoy sidecar
// or proxyless gRPC), runs it, checks the result as that client would, and turns what went wrong into Problems. The
// server (memoised, encoded, size-guarded), `biplane analyze` and `biplane translate` all build through here.
import type { ModelIndex, Problem, Proxy } from '../model/index.ts';
import { translate } from '../translate/index.ts';
import type { EnvoyResources, TranslateOptions } from '../translate/index.ts';
import { translateProxyless } from '../translate/proxyless/index.ts';
import type { ProxylessResources } from '../translate/proxyless/index.ts';
import { validateResources } from '../validate/index.ts';
import type { ResourceProblem, ValidationClient } from '../validate/index.ts';

/** What one proxy is sent: Envoy's resources for a sidecar, gRPC's for a proxyless application. */
export type ProxyResources = EnvoyResources | ProxylessResources;

/** How `buildProxyConfig` translates and checks; the defaults are the plain offline pipeline. */
export interface BuildOptions extends TranslateOptions {
  /** Makes a proxyless proxy's resources (the server memoises them per view); default `translateProxyless`. */
  readonly proxyless?: (index: ModelIndex, proxy: Proxy) => ProxylessResources;
  /** Checks the translated resources for the proxy's client; default: the resource validator, as Problems. */
  readonly check?: (resources: ProxyResources, client: ValidationClient) => readonly Problem[];
}

/**
 * One proxy's configuration (absent when translation failed), the problems that make it unfit to publish (a failed
 * translation, the check's findings), and beside them the parts the translator left out (each service whose
 * translation failed, at its origin), which cost only themselves: the rest is fit to publish.
 */
export interface ProxyConfig {
  readonly resources?: ProxyResources;
  readonly problems: readonly Problem[];
  readonly leftOut: readonly Problem[];
}

/** The client that reads a proxy's configuration: Envoy for sidecars, gRPC for proxyless applications. */
export function clientOf(proxy: Proxy): ValidationClient {
  return proxy.type === 'proxyless' ? 'grpc' : 'envoy';
}

/**
 * Translates, then checks, one proxy's configuration. The sidecar translator is best effort: the services it had to
 * leave out come back in `leftOut` at their origin, beside the resources that are still served. Any other translator
 * crash is a problem for the whole proxy, not an exception.
 */
export function buildProxyConfig(index: ModelIndex, proxy: Proxy, options: BuildOptions = {}): ProxyConfig {
  const { proxyless = translateProxyless, check = validated, ...translateOptions } = options;
  let resources: ProxyResources;
  let leftOut: readonly Problem[] = [];
  try {
    if (proxy.type === 'proxyless') resources = proxyless(index, proxy);
    else ({ problems: leftOut, ...resources } = translate(index, proxy, translateOptions));
  } catch (err) {
    return { problems: [generatedProblem('error', `translation failed: ${(err as Error).message}`)], leftOut: [] };
  }
  return { resources, problems: check(resources, clientOf(proxy)), leftOut };
}

/** The default check: the resource validator for the client, each finding as a Problem. */
function validated(resources: ProxyResources, client: ValidationClient): readonly Problem[] {
  return validateResources(resources, { client }).map((p) => validationProblem(p));
}

/** A problem of biplane's own making (no source object behind it). */
export function generatedProblem(severity: Problem['severity'], message: string): Problem {
  return { severity, message, origin: { source: 'generated' } };
}

/**
 * A validator finding as a Problem: the resource and field path go into the origin's field (the type named by
 * `label`, default the message name), the rule into the message.
 */
export function validationProblem(p: ResourceProblem, label: (typeUrl: string) => string = typeName): Problem {
  const field = `${label(p.typeUrl)}[${p.resource}]${p.path === '' ? '' : `.${p.path}`}`;
  return { severity: 'error', message: `${p.message} (${p.rule})`, origin: { source: 'generated', field } };
}

/** The last part of a type URL: `type.googleapis.com/envoy.config.listener.v3.Listener` → `Listener`. */
export function typeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}
