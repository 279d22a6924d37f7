#!/bin/sh
# Starts the Compose Kafka broker (KRaft, one node) with a SASL_SSL listener for the services:
# TLS with the certificate make-pki.sh made, SCRAM-SHA-512 users stored in the cluster metadata
# at format time (kafka-storage --add-scram), one per service, from KAFKA_SCRAM_USERS
# ("user=password,..."). The controller and a loopback-only listener for the health check stay
# plaintext inside the container.
set -eu
CONFIG=/tmp/server.properties
cat > "$CONFIG" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=SASL_SSL://:9092,CONTROLLER://localhost:9093,LOCAL://127.0.0.1:19092
advertised.listeners=SASL_SSL://kafka:9092,LOCAL://127.0.0.1:19092
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT,LOCAL:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=LOCAL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=/pki/broker-keystore.pem
log.dirs=/var/lib/kafka/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
SCRAM_ARGS=""
for entry in $(echo "$KAFKA_SCRAM_USERS" | tr ',' ' '); do
  SCRAM_ARGS="$SCRAM_ARGS --add-scram SCRAM-SHA-512=[name=${entry%%=*},password=${entry#*=}]"
done
# --ignore-formatted: a restart keeps its data (and the users it was formatted with).
# shellcheck disable=SC2086
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$KAFKA_CLUSTER_ID" -c "$CONFIG" $SCRAM_ARGS
exec /opt/kafka/bin/kafka-server-start.sh "$CONFIG"
