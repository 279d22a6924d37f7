#!/bin/sh
# Development PKI for the Compose Kafka broker: a CA and the broker's certificate for the name
# "kafka", made once into the shared volume (/pki). Clients trust /pki/ca.crt. Not for production:
# use your own CA (or Strimzi's cluster CA in Kubernetes).
set -eu
cd /pki
if [ -s broker-keystore.pem ]; then exit 0; fi
apk add --no-cache openssl >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
  -days 825 -subj "/CN=otp-router development Kafka CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout broker.key -out broker.csr \
  -subj "/CN=kafka"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:kafka,DNS:localhost\n' > broker.ext
openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -set_serial 1001 -days 825 -extfile broker.ext -out broker.crt
cat broker.crt broker.key > broker-keystore.pem
rm -f ca.key broker.csr broker.ext
chmod 0644 ca.crt broker-keystore.pem
