// Test support (header only): TLS certificates made with the openssl command in a temporary
// directory, once per test suite. Two CAs, "ca" and "other-ca" (<ca>.pem, <ca>-key.pem), and for
// each certificate asked for, <name>-cert.pem and <name>-key.pem, signed by its CA and carrying
// one extension line.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "base/fs.h"

namespace berth::tls::testing {

struct TestCertificate {
    std::string name;
    std::string ca;         // "ca" or "other-ca"
    std::string extension;  // e.g. "subjectAltName=IP:127.0.0.1" or "extendedKeyUsage=clientAuth"
};

// The directory holding them, or nullopt when the openssl command is missing or failed (the
// directory is removed then). The caller removes it when done.
inline std::optional<std::string> make_test_certificates(
    const std::vector<TestCertificate>& certificates) {
    char dir[] = "/tmp/berth-tls-test.XXXXXX";
    if (::mkdtemp(dir) == nullptr) return std::nullopt;
    std::string script = std::string("set -e; cd ") + dir + R"(
        key() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@"; }
        ca() { key -x509 -days 1 -keyout $1-key.pem -out $1.pem -subj /CN=$1; }
        sign() {  # NAME CA EXT
            key -keyout $1-key.pem -out $1.csr -subj /CN=$1
            printf '%s\n' "$3" > $1.ext
            openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2-key.pem -CAcreateserial \
                -days 1 -out $1-cert.pem -extfile $1.ext
        }
        ca ca; ca other-ca
    )";
    for (const auto& c : certificates)
        script += "sign " + c.name + " " + c.ca + " '" + c.extension + "'\n";
    if (std::system(("(" + script + ") >/dev/null 2>&1").c_str()) != 0) {
        (void)remove_all(dir);
        return std::nullopt;
    }
    return std::string(dir);
}

}  // namespace berth::tls::testing
