/**
 * Routes kafkajs's own log lines to the bus logger instead of the console.
 */
import { type logCreator, logLevel } from "kafkajs";
import type { BusLogger } from "./logger";

export function kafkajsLogCreator(logger: BusLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...fields } = log;
      const text = `kafkajs ${namespace}: ${message}`;
      switch (level) {
        case logLevel.ERROR:
        case logLevel.NOTHING:
          // kafkajs logs every protocol error response (e.g. REBALANCE_IN_PROGRESS on a
          // heartbeat) as an error at the connection, then handles it: a warning at most.
          if (namespace === "Connection") logger.warn(text, fields);
          else logger.error(text, fields);
          return;
        case logLevel.WARN:
          logger.warn(text, fields);
          return;
        case logLevel.INFO:
          // Joins, leaves and (re)starts: routine for a consumer group.
          logger.debug(text, fields);
          return;
        case logLevel.DEBUG:
          logger.debug(text, fields);
          return;
      }
    };
}
