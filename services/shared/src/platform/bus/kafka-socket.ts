/**
 * The sockets kafkajs opens to brokers: its own (keep-alive after a minute, TLS with the broker's
 * name) with TCP_NODELAY as well. Kafka is request and response, and kafkajs writes each request
 * at once: with Nagle's algorithm a request written while the last one is unacknowledged waits
 * for the broker's acknowledgement, which Linux delays by up to 40 ms. The Java client sets it on
 * every connection too.
 */
import { connect as netConnect, isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { ISocketFactory } from "kafkajs";

const KEEP_ALIVE_DELAY_MS = 60_000;

export const kafkaSocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  socket.setNoDelay(true);
  return socket;
};
