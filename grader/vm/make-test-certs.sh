#!/bin/sh
# make-test-certs.sh DIR: the certificates stage 13 tests the engine's TCP listener with (lab 13),
# made with openssl: a test CA; the daemon's certificate for 127.0.0.1; a client's the CA signed;
# and a client's of another CA, which the daemon must refuse. Ten years: never renewed by hand.
# They are test data, in the VM only: no key here protects anything.
set -eu
mkdir -p "$1"
dir=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
subj() { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1-key.pem" -subj "/CN=$2" -out "$1.csr" 2>/dev/null; }
sign() { # sign NAME CA EXTENSIONS
	printf '%s\n' "$3" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2-key.pem" -CAcreateserial -days 3650 -extfile "$1.ext" -out "$1-cert.pem" 2>/dev/null
}
for ca in ca rogue-ca; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=minidock test $ca" \
		-keyout "$ca-key.pem" -out "$ca.pem" 2>/dev/null
done
subj server 127.0.0.1
sign server ca "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
subj client student
sign client ca "extendedKeyUsage=clientAuth"
subj rogue intruder
sign rogue rogue-ca "extendedKeyUsage=clientAuth"
cp ca.pem server-cert.pem server-key.pem client-cert.pem client-key.pem rogue-cert.pem rogue-key.pem "$dir/"
echo "test certificates: $dir"
