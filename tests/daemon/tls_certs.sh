# shellcheck shell=bash
# Sourced by the TLS tests (after tests/lib.sh): make_tls_certs makes, with the openssl command,
#   $CERTS:      CAs ca and other-ca (NAME.pem, NAME-key.pem), and server (127.0.0.1, localhost),
#                client (from ca) and stranger (from other-ca) as NAME-cert.pem and NAME-key.pem
#   $CLIENT_DIR: the client's ca.pem, cert.pem and key.pem (docker's DOCKER_CERT_PATH layout)
# and fails the script when it cannot.

make_tls_certs() {
	CERTS=$TMP/certs
	CLIENT_DIR=$TMP/client-certs
	mkdir -p "$CERTS" "$CLIENT_DIR"
	(
		cd "$CERTS" || exit 1
		key() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@"; }
		ca() { key -x509 -days 2 -keyout "$1-key.pem" -out "$1.pem" -subj "/CN=$1"; }
		sign() { # NAME CA EXTENSIONS
			key -keyout "$1-key.pem" -out "$1.csr" -subj "/CN=$1"
			printf '%s\n' "$3" >"$1.ext"
			openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2-key.pem" -CAcreateserial \
				-days 2 -out "$1-cert.pem" -extfile "$1.ext"
		}
		ca ca && ca other-ca &&
			sign server ca 'subjectAltName=IP:127.0.0.1,DNS:localhost' &&
			sign client ca 'extendedKeyUsage=clientAuth' &&
			sign stranger other-ca 'extendedKeyUsage=clientAuth'
	) >"$TMP/openssl.log" 2>&1 || {
		_not_ok "make certificates with openssl"
		_indent "$(tail -20 "$TMP/openssl.log")"
		finish
	}
	cp "$CERTS/ca.pem" "$CLIENT_DIR/ca.pem"
	cp "$CERTS/client-cert.pem" "$CLIENT_DIR/cert.pem"
	cp "$CERTS/client-key.pem" "$CLIENT_DIR/key.pem"
}
