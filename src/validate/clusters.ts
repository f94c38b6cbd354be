// Cluster rules Envoy enforces at load time: what each discovery type needs (load assignment, one endpoint for
// LOGICAL_DNS, CLUSTER_PROVIDED for ORIGINAL_DST, an EDS config), and the source-address rules of
// `upstream_bind_config` (at most one extra source address, of the other family, only with a source address).
import { enumName, TypeUrl } from '../envoy-api/protos.ts';
import { asArr, asObj, fieldPath, indexPath, isSet, typeNameOf, type Obj } from '../envoy-api/plain.ts';
import { checkAssignment, endpointAddressesOf, lbEndpointsOf } from './endpoints.ts';
import { isIpLiteral, socketInfo } from './net.ts';
import type { Report } from './problem.ts';
import { discoveryType } from '../envoy-api/references.ts';

const CLUSTER = typeNameOf(TypeUrl.Cluster);

/** The cluster's `lb_policy` name (ROUND_ROBIN when unset). */
export function lbPolicy(cluster: Obj): string {
  return enumName(`${CLUSTER}.LbPolicy`, cluster['lb_policy'], 'ROUND_ROBIN');
}

function checkByType(cluster: Obj, type: string, report: Report): void {
  const assignment = asObj(cluster['load_assignment']);
  const endpoints = assignment ? lbEndpointsOf(assignment, 'load_assignment') : [];
  if (['STATIC', 'STRICT_DNS', 'LOGICAL_DNS'].includes(type) && !assignment) {
    report('load_assignment', 'cluster.load_assignment_required', `a ${type} cluster needs load_assignment with its endpoints`);
  }
  if (type === 'LOGICAL_DNS' && assignment && (endpoints.length !== 1 || asArr(assignment['endpoints']).length !== 1)) {
    report('load_assignment', 'cluster.logical_dns_single_endpoint', `a LOGICAL_DNS cluster needs exactly one locality with one lb_endpoint, has ${endpoints.length} endpoint(s)`);
  }
  if (type === 'ORIGINAL_DST' && lbPolicy(cluster) !== 'CLUSTER_PROVIDED') {
    report('lb_policy', 'cluster.original_dst_lb_policy', `is ${lbPolicy(cluster)}; an ORIGINAL_DST cluster needs CLUSTER_PROVIDED`);
  }
  if (type !== 'ORIGINAL_DST' && lbPolicy(cluster) === 'CLUSTER_PROVIDED') {
    report('lb_policy', 'cluster.original_dst_lb_policy', `CLUSTER_PROVIDED is only valid for an ORIGINAL_DST cluster, this one is ${type}`);
  }
  if (type === 'ORIGINAL_DST' && endpoints.length > 0) {
    report('load_assignment', 'cluster.original_dst_endpoints', 'an ORIGINAL_DST cluster takes its host from the connection and must have no endpoints');
  }
  if (type === 'EDS' && !isSet(cluster['eds_cluster_config'])) {
    report('eds_cluster_config', 'cluster.eds_config_required', 'an EDS cluster needs eds_cluster_config (e.g. eds_config { ads {} })');
  }
  if (!assignment) return;
  for (const address of endpointAddressesOf(assignment, 'load_assignment')) {
    if (address.additional && (type === 'STRICT_DNS' || type === 'LOGICAL_DNS')) {
      report(address.path, 'cluster.additional_addresses_type', `additional addresses are only supported by STATIC and EDS clusters, this one is ${type}`);
    }
    if (type === 'STATIC' && !address.additional && !isIpLiteral(address.info)) {
      report(address.path, 'cluster.static_ip', `"${address.info.host}" is not an IP literal; a STATIC cluster does not resolve names`);
    }
  }
  checkAssignment(assignment, 'load_assignment', report);
}

function checkBindConfig(cluster: Obj, report: Report): void {
  const bind = asObj(cluster['upstream_bind_config']);
  if (!bind) return;
  const extras = asArr(bind['extra_source_addresses']);
  if (extras.length === 0) return;
  const base = 'upstream_bind_config';
  const source = socketInfo({ socket_address: bind['source_address'] });
  if (!isSet(bind['source_address']) || !source) {
    report(fieldPath(base, 'source_address'), 'bind.source_required', 'is required when extra_source_addresses are set');
  }
  if (asArr(bind['additional_source_addresses']).length > 0) {
    report(fieldPath(base, 'additional_source_addresses'), 'bind.deprecated_combined', 'the deprecated additional_source_addresses cannot be combined with extra_source_addresses');
  }
  if (extras.length > 1) {
    report(fieldPath(base, 'extra_source_addresses'), 'bind.extra_source_count', `has ${extras.length} addresses; the default address selector takes at most one, of the other IP family`);
  }
  extras.forEach((extra, i) => {
    const path = fieldPath(indexPath(fieldPath(base, 'extra_source_addresses'), i), 'address');
    const info = socketInfo({ socket_address: asObj(extra)?.['address'] });
    if (!info || info.family === undefined) {
      report(path, 'bind.ip_literal', 'must be an IP literal');
    } else if (source?.family === info.family) {
      report(path, 'bind.extra_source_family', `is ${info.family} like source_address; the extra source address must be of the other family`);
    }
  });
}

/** Checks one cluster on its own (references to EDS resources are checked over the whole set). */
export function checkCluster(cluster: Obj, report: Report): void {
  const type = discoveryType(cluster);
  if (type !== undefined) checkByType(cluster, type, report);
  checkBindConfig(cluster, report);
}
