/**
 * Parses the store's Redis address. One node: `redis://[user:pass@]host:port[/db]`; a Redis
 * Cluster: several comma-separated seed nodes, `redis://[user:pass@]h1:p1,h2:p2,h3:p3`.
 * `rediss://` turns on TLS.
 */
import { OtpError } from "@domain/errors";

export interface RedisNodeAddress {
  host: string;
  port: number;
}

export interface RedisEndpoint {
  nodes: RedisNodeAddress[];
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

const URL_PATTERN = /^(rediss?):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/(\d*))?$/;
const NODE_PATTERN = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/;

function invalid(reason: string): OtpError {
  // The URL may hold a password: never put it in the message.
  return new OtpError("CONFIG_INVALID", `invalid Redis URL: ${reason}`);
}

function parseNode(text: string): RedisNodeAddress {
  const match = NODE_PATTERN.exec(text.trim());
  if (!match) throw invalid("bad host:port");
  const host = match[1] ?? match[2] ?? "";
  const port = match[3] === undefined ? 6379 : Number(match[3]);
  if (!host || port < 1 || port > 65535) throw invalid("bad host:port");
  return { host, port };
}

function parseUserInfo(userInfo: string | undefined): { username?: string; password?: string } {
  if (!userInfo) return {};
  const colon = userInfo.indexOf(":");
  const username = decodeURIComponent(colon < 0 ? userInfo : userInfo.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(userInfo.slice(colon + 1));
  return {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

export function parseRedisUrl(url: string): RedisEndpoint {
  const match = URL_PATTERN.exec(url.trim());
  if (!match) throw invalid("expected redis://host:port or rediss://, nodes separated by commas");
  const [, scheme, userInfo, hosts = "", db] = match;
  return {
    nodes: hosts.split(",").map(parseNode),
    ...parseUserInfo(userInfo),
    db: db ? Number(db) : 0,
    tls: scheme === "rediss",
  };
}
