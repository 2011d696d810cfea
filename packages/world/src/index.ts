/**
 * `@satusky/world`: the simulated world (a little internet) around simulated clusters: one zone per
 * cluster, each behind its own edge on 127.0.N.1 (HTTP/HTTPS, routing by Gateway API and Ingress
 * objects, TLS by SNI), a public DNS with a registrar and forwarding of the platform zone, an
 * ACME-style CA validating HTTP-01 over the real network, a parked web server, faults, and a
 * control API with the `satusky-world` CLI. See packages/world/README.md.
 *
 * ```ts
 * const world = await startWorld({ zones: [{ name: 'sim-kul-1' }, { name: 'sim-sgp-1' }], httpPort: 0, httpsPort: 0, dnsPort: 0 });
 * world.registrar.set({ name: 'shop.example.com', type: 'A', values: [world.zones[0].edgeAddress] });
 * await world.writeKubeconfig('/tmp/world.kubeconfig');
 * await world.faults.edgeDown('sim-kul-1');
 * await world.stop();
 * ```
 *
 * @packageDocumentation
 */

export { startWorld, World, readStateFile, STATE_FILE, REGISTRAR_FILE } from './world.ts';
export type { WorldZone, ZoneStatus, WorldStatus, WorldStateFile } from './world.ts';
export type { WorldOptions, ZoneOptions, PlatformZoneOptions, HostPort, WorldSimOptions } from './options.ts';
export { resolveWorldOptions, DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT, DEFAULT_DNS_PORT, DEFAULT_PARKED_ADDRESS } from './options.ts';
export { WorldError } from './errors.ts';
export type { WorldErrorCode } from './errors.ts';
export { FAULTS } from './faults.ts';
export type { FaultName, WorldFaults, ZoneFaultState } from './faults.ts';
export { Registrar, RegistrarError, RECORD_TYPES, DEFAULT_TTL } from './dns/registrar.ts';
export type { DnsRecord, RecordInput, RecordType, RegistrarData, Lookup } from './dns/registrar.ts';
export { WorldDns } from './dns/server.ts';
export type { WorldDnsOptions, Resolution } from './dns/server.ts';
export { Edge, ACME_CHALLENGE_PREFIX } from './edge/edge.ts';
export type { EdgeOptions, EdgePorts } from './edge/edge.ts';
export { buildRouteTable, matchRoute, selectTls, redirectLocation, hostnameScore, intersectHostnames, pickBackend } from './edge/routing.ts';
export type { RouteTable, RouteEntry, TlsEntry, RoutingInput, RoutingRequest, RedirectSpec } from './edge/routing.ts';
export { ChallengeStore } from './acme/challenges.ts';
export { WorldAcmeIssuer, ACME_DIRECTORY } from './acme/issuer.ts';
export type { ValidationAttempt } from './acme/issuer.ts';
export { FAILURE_REASONS } from './acme/http01.ts';
export type { FailureReason } from './acme/http01.ts';
export { ROOT_CA_FILE, ROOT_CA_KEY_FILE } from './acme/root-ca.ts';
export { PARKED_PAGE } from './parked.ts';
