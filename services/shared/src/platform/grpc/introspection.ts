/**
 * The standard services every server exposes besides its own: gRPC health checking
 * (grpc.health.v1.Health, what load balancers and `grpc_health_probe` ask) and server
 * reflection (what grpcurl and Postman use to list and describe our services).
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import type { Server } from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, protoPath as healthProtoPath } from "grpc-health-check";

export const HEALTH_SERVICE = "grpc.health.v1.Health";
/** Health status of the server as a whole, by the health protocol's convention. */
export const WHOLE_SERVER = "";

export interface HealthRegistry {
  setServing(service: string, serving: boolean): void;
  addToServer(server: Server): void;
}

export function createHealthRegistry(): HealthRegistry {
  const health = new HealthImplementation({ [WHOLE_SERVER]: "NOT_SERVING" });
  return {
    setServing(service, serving) {
      health.setStatus(service, serving ? "SERVING" : "NOT_SERVING");
    },
    addToServer(server) {
      health.addToServer(server);
    },
  };
}

/**
 * Adds reflection over our contracts (otp/v1/*.proto, well-known types from proto-loader's
 * bundled copies) and the health protocol, listing only the services this server hosts.
 */
export function addReflection(server: Server, protoRoot: string, services: readonly string[]): void {
  const healthRoot = path.resolve(path.dirname(healthProtoPath), "../..");
  const contracts = readdirSync(path.join(protoRoot, "otp", "v1"))
    .filter((name) => name.endsWith(".proto"))
    .map((name) => `otp/v1/${name}`);
  const definitions = protoLoader.loadSync([...contracts, path.relative(healthRoot, healthProtoPath)], {
    includeDirs: [protoRoot, healthRoot],
  });
  new ReflectionService(definitions, { services: [...services] }).addToServer(server);
}

/** proto/ from the sources (tsx) or from the compiled output in dist/. */
export function defaultProtoRoot(): string {
  const candidates = [
    path.resolve(__dirname, "../../../../../proto"),
    path.resolve(__dirname, "../../../../../../proto"),
  ];
  return candidates.find((dir) => existsSync(path.join(dir, "otp", "v1"))) ?? candidates[0]!;
}
