// The Kafka nodes of the stack: one broker (the default) or a KRaft cluster of three, each node
// broker and controller, with ports, data dir, log and config of its own.
import type { KafkaSettings } from './settings';

export const MAX_BROKERS = 3;

export interface KafkaNode extends KafkaSettings {
  /** Kafka's node.id, 1-based. */
  id: number;
  /** Its name in pids.json and `stack:status`: `kafka` alone, `kafka-<n>` in a cluster. */
  key: string;
  /** How many nodes the cluster has (every node is a voter of the controller quorum). */
  count: number;
  /** controller.quorum.voters, the same on every node. */
  voters: string;
}

/**
 * One node keeps the single broker's ports, paths and names as they always were. A cluster's
 * node n listens on KAFKA_PORT + n − 1 (9092, 9093, 9094) and on its controller port
 * KAFKA_CONTROLLER_PORT + n − 1 (by default KAFKA_PORT + count + n − 1: 9095, 9096, 9097,
 * since 9093 is then a broker).
 */
export function kafkaNodes(k: KafkaSettings, count: number): KafkaNode[] {
  if (count === 1) return [{ ...k, id: 1, key: 'kafka', count, voters: `1@127.0.0.1:${k.controllerPort}` }];
  const firstController = k.clusterControllerPort ?? k.port + count;
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const voters = ids.map((id) => `${id}@127.0.0.1:${firstController + id - 1}`).join(',');
  return ids.map((id) => ({
    ...k,
    id,
    key: `kafka-${id}`,
    count,
    voters,
    port: k.port + id - 1,
    controllerPort: firstController + id - 1,
    brokers: `127.0.0.1:${k.port + id - 1}`,
    dataDir: `${k.dataDir}-${id}`,
    logFile: k.logFile.replace(/\.log$/, `-${id}.log`),
    serverProperties: k.serverProperties.replace(/kafka-server/, `kafka-${id}-server`),
  }));
}

/** KAFKA_BROKERS for these nodes: every one of them, so a client can start while any one is down. */
export function brokersOf(nodes: readonly KafkaNode[]): string {
  return nodes.map((n) => n.brokers).join(',');
}

/** Replicas and min ISR of Kafka's internal topics: 3 and 2 on a cluster, 1 and 1 alone. */
export function internalReplication(count: number): { replicas: number; minIsr: number } {
  return count > 1 ? { replicas: Math.min(3, count), minIsr: 2 } : { replicas: 1, minIsr: 1 };
}
