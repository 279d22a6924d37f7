#!/bin/sh
# Development PKI for the Compose Kafka nodes: a CA and one certificate for the names kafka,
# kafka-2 and kafka-3, made once into the shared volume (/pki). It serves the nodes' listeners and
# is the client certificate they present to each other (replication, the KRaft quorum). Clients
# trust /pki/ca.crt. The CA's key is deleted once the certificate is signed. Not for production:
# use your own CA and one certificate per node (or Strimzi's cluster CA in Kubernetes).
set -eu
cd /pki
if [ -s broker-keystore.pem ]; then exit 0; fi
apk add --no-cache openssl >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
  -days 825 -subj "/CN=otp-router development Kafka CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout broker.key -out broker.csr \
  -subj "/CN=kafka"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:kafka,DNS:kafka-2,DNS:kafka-3,DNS:localhost\n' > broker.ext
openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -set_serial 1001 -days 825 -extfile broker.ext -out broker.crt
cat broker.crt broker.key > broker-keystore.pem
rm -f ca.key broker.csr broker.ext
chmod 0644 ca.crt broker-keystore.pem
