#!/bin/sh
# Starts one Compose Kafka node (KRaft, broker and controller) of a cluster of KAFKA_NODES nodes
# named kafka, kafka-2, kafka-3, … (one controller quorum of all of them). Every listener on the
# network is encrypted and authenticated:
#   SASL_SSL :9092  the services: TLS with the certificate make-pki.sh made, SCRAM-SHA-512 users
#                   stored in the cluster metadata at format time (kafka-storage --add-scram), one
#                   per service, from KAFKA_SCRAM_USERS ("user=password,...");
#   INTERNAL :9094  broker to broker (replication), TLS with a client certificate from the same CA;
#   CONTROLLER :9093 the KRaft quorum, TLS with a client certificate from the same CA.
# A loopback-only plaintext listener (127.0.0.1:19092) serves the container's health check.
# Topics are replicated to min(3, nodes) nodes with min.insync.replicas one less (at least 1):
# with the producers' acks=all, an acknowledged event survives a node, and writes go on without it.
set -eu
NODE_ID=${KAFKA_NODE_ID:-1}
NODES=${KAFKA_NODES:-1}
name_of() { if [ "$1" = 1 ]; then echo kafka; else echo "kafka-$1"; fi; }
HOST=$(name_of "$NODE_ID")
VOTERS=""
i=1
while [ "$i" -le "$NODES" ]; do
  VOTERS="${VOTERS:+$VOTERS,}$i@$(name_of "$i"):9093"
  i=$((i + 1))
done
REPLICAS=$((NODES < 3 ? NODES : 3))
MIN_ISR=$((REPLICAS > 1 ? REPLICAS - 1 : 1))
KAFKA_HOME=${KAFKA_HOME:-/opt/kafka}
CONFIG=${KAFKA_CONFIG_FILE:-/tmp/server.properties}
cat > "$CONFIG" <<PROPS
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
listeners=SASL_SSL://:9092,CONTROLLER://:9093,INTERNAL://:9094,LOCAL://127.0.0.1:19092
advertised.listeners=SASL_SSL://$HOST:9092,INTERNAL://$HOST:9094,LOCAL://127.0.0.1:19092
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL,INTERNAL:SSL,LOCAL:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
ssl.keystore.type=PEM
ssl.keystore.location=/pki/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=/pki/ca.crt
listener.name.controller.ssl.client.auth=required
listener.name.internal.ssl.client.auth=required
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=/var/lib/kafka/data
default.replication.factor=$REPLICAS
min.insync.replicas=$MIN_ISR
offsets.topic.replication.factor=$REPLICAS
transaction.state.log.replication.factor=$REPLICAS
transaction.state.log.min.isr=$MIN_ISR
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
SCRAM_ARGS=""
for entry in $(echo "$KAFKA_SCRAM_USERS" | tr ',' ' '); do
  SCRAM_ARGS="$SCRAM_ARGS --add-scram SCRAM-SHA-512=[name=${entry%%=*},password=${entry#*=}]"
done
# --ignore-formatted: a restart keeps its data (and the users it was formatted with). Every node
# formats with the same cluster id and users; the quorum's first leader writes them.
# shellcheck disable=SC2086
"$KAFKA_HOME/bin/kafka-storage.sh" format --ignore-formatted -t "$KAFKA_CLUSTER_ID" -c "$CONFIG" $SCRAM_ARGS
exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$CONFIG"
